"""Movie nights in group chats: the flow, the group maths, and their views."""
