"""FerretDB speaks the MongoDB wire protocol to pymongo for real."""

from __future__ import annotations

import uuid

import pymongo
import pytest

pytestmark = pytest.mark.mongo


def test_write_and_read_back(mongodb_url: str) -> None:
    db_name = f"fftest_{uuid.uuid4().hex[:8]}"
    with pymongo.MongoClient(mongodb_url, serverSelectionTimeoutMS=5000) as client:
        build = client.admin.command("buildInfo")
        assert "ferretdbVersion" in build, "the test bed's MongoDB must be FerretDB"
        coll = client[db_name]["things"]
        try:
            result = coll.insert_one({"name": "newt", "n": 3, "tags": ["a", "b"]})
            assert result.acknowledged
            doc = coll.find_one({"name": "newt"}, {"_id": 0})
            assert doc == {"name": "newt", "n": 3, "tags": ["a", "b"]}
            coll.update_one({"name": "newt"}, {"$inc": {"n": 1}})
            assert coll.find_one({"name": "newt"})["n"] == 4  # type: ignore[index]
        finally:
            client.drop_database(db_name)
