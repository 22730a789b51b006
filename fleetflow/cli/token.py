"""``fleetflow token``: create, list and revoke API tokens (wired into the main CLI as a sub-app)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from fleetflow.api.tokens import Role, create_token, list_tokens, revoke_token
from fleetflow.errors import FleetflowError
from fleetflow.runtime import context

token_app = typer.Typer(help="API tokens: shown once, stored only as a salted hash.", no_args_is_help=True)
_err = Console(stderr=True)


def _fail(exc: FleetflowError) -> typer.Exit:
    _err.print(f"[red]error:[/] {exc}")
    return typer.Exit(1)


@token_app.command("create")
def create(
    name: Annotated[str, typer.Option("--name", help="Token name (shown in the audit log and Prefect).")],
    role: Annotated[Role, typer.Option("--role", help="viewer, operator or admin.")] = Role.VIEWER,
    ttl_days: Annotated[int | None, typer.Option("--ttl-days", min=1, help="Expire after N days.")] = None,
) -> None:
    """Create (or replace) a token and print it once."""
    try:
        ttl = timedelta(days=ttl_days) if ttl_days else None
        token = create_token(context.store(), name, role, ttl=ttl)
    except FleetflowError as exc:
        raise _fail(exc) from exc
    _err.print(f"token [bold]{name}[/] ({role.value}) created; it is shown only now:")
    typer.echo(token)


@token_app.command("list")
def list_() -> None:
    """List tokens: name, role, created, last used, expiry."""
    try:
        tokens = list_tokens(context.store())
    except FleetflowError as exc:
        raise _fail(exc) from exc
    table = Table(title="API tokens")
    for column in ("name", "role", "created", "last used", "expires"):
        table.add_column(column)
    for t in tokens:
        table.add_row(
            t.name,
            t.role.value,
            f"{t.created:%Y-%m-%d %H:%M}",
            f"{t.last_used:%Y-%m-%d %H:%M}" if t.last_used else "never",
            f"{t.expires:%Y-%m-%d %H:%M}" if t.expires else "never",
        )
    Console().print(table)


@token_app.command("revoke")
def revoke(name: Annotated[str, typer.Argument(help="Token name.")]) -> None:
    """Revoke a token at once."""
    try:
        found = revoke_token(context.store(), name)
    except FleetflowError as exc:
        raise _fail(exc) from exc
    if not found:
        _err.print(f"[red]error:[/] no token {name!r}; see `fleetflow token list`")
        raise typer.Exit(1)
    _err.print(f"token {name} revoked")
