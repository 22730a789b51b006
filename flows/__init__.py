"""Prefect flows, one module each (poll_repo, sync_resources, deploy_stack, stack_action, ...)."""
