"""The Telegram front end: renders the engine's Answer in private chats, groups and forum topics.

app.py wires the Application; run.py starts it (`python -m bot run`). Nothing here answers questions:
that is bot.engine's job.
"""
