def format_reply(msg):
    words = msg.text[len('echo '):]
    return (f'echo: {words} | from {msg.sender.name} | chat {msg.chat.name} | type {msg.type} '
            f'| bot {msg.bot.self.name}')
