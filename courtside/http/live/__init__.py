"""The user channel (DESIGN.md §6): `GET /sse/users/` and the user WebSocket `/ws/`."""
