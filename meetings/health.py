"""A websocket echo that proves the ASGI stack serves websockets end to end."""

import json

from channels.generic.websocket import AsyncWebsocketConsumer

MAX_ECHO_CHARS = 1024


class HealthConsumer(AsyncWebsocketConsumer):
    async def connect(self):
        await self.accept()
        await self.send(text_data=json.dumps({"status": "ok"}))

    async def receive(self, text_data=None, bytes_data=None):
        if not text_data or len(text_data) > MAX_ECHO_CHARS:
            await self.close(code=4400)
            return
        await self.send(text_data=json.dumps({"echo": text_data}))
