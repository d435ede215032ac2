"""Reading and summarising what the harness and its asv suites recorded."""
