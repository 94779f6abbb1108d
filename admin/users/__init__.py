"""Staff API: the people who sign in (list, create, disable, enable, reset passwords, change roles)."""
