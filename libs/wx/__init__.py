"""The WeChat connection: itchat/wxpy set up for the configured server and login mode."""
