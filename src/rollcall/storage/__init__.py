"""All SQL: mapped tables, reads, writes, filters and migrations."""
