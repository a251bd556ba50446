"""One module per page: Reflex components only, no queries, no business rules."""
