"""Read-only queries behind the owner's dashboard and the admin home panel."""
