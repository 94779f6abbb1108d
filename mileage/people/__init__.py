"""People who sign in and the places they volunteer: users, sign-in and tokens, volunteers, organisations."""
