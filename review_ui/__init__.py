"""The review web page where maintainers resolve the bot's conflicts."""
