"""Shared by the LLM brain tests (no tests here): a scripted smolagents Model and message helpers.

`ScriptedModel` is a real `smolagents.Model` subclass, the double smolagents' own tests use: it
answers each `generate` call with the next pre-written assistant message (a CodeAgent code block,
or ToolCallingAgent tool calls) and records every message list it was sent, so a test can assert
on exactly what a model would have read.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from smolagents import ChatMessage, Model
from smolagents.models import ChatMessageToolCall, ChatMessageToolCallFunction, MessageRole
from smolagents.monitoring import TokenUsage

Reply = str | ChatMessage | Callable[[list[ChatMessage]], "str | ChatMessage"]


def code(body: str, thought: str = "I act.") -> str:
    """A CodeAgent answer: a thought and one code block."""
    return f"Thought: {thought}\n<code>\n{body.strip()}\n</code>"


def calls(*pairs: tuple[str, dict[str, Any]]) -> ChatMessage:
    """A ToolCallingAgent answer: structured tool calls, as an OpenAI-style API returns them."""
    tool_calls = [
        ChatMessageToolCall(
            function=ChatMessageToolCallFunction(name=name, arguments=arguments),
            id=f"call_{i}",
            type="function",
        )
        for i, (name, arguments) in enumerate(pairs)
    ]
    return ChatMessage(role=MessageRole.ASSISTANT, content=None, tool_calls=tool_calls)


class ScriptExhausted(RuntimeError):
    """The agent asked for more turns than the test scripted."""


class ScriptedModel(Model):
    def __init__(self, replies: Sequence[Reply], model_id: str = "scripted-model") -> None:
        super().__init__(model_id=model_id)
        self.replies = list(replies)
        self.received: list[list[ChatMessage]] = []

    def generate(
        self,
        messages: list[ChatMessage],
        stop_sequences: list[str] | None = None,
        response_format: dict[str, str] | None = None,
        tools_to_call_from: list[Any] | None = None,
        **kwargs: Any,
    ) -> ChatMessage:
        self.received.append(list(messages))
        if not self.replies:
            raise ScriptExhausted(f"no scripted reply left for call {len(self.received)}")
        reply = self.replies.pop(0)
        if callable(reply):
            reply = reply(messages)
        if isinstance(reply, str):
            reply = ChatMessage(role=MessageRole.ASSISTANT, content=reply)
        reply.token_usage = TokenUsage(input_tokens=100, output_tokens=10)
        return reply

    def calls(self) -> int:
        return len(self.received)


def text_of(messages: Sequence[ChatMessage | dict]) -> str:
    """Everything a model could read in a message list: contents and tool calls, as one string."""
    parts: list[str] = []
    for message in messages:
        data = message.dict() if isinstance(message, ChatMessage) else message
        parts.append(json.dumps(data, default=str))
    return "\n".join(parts)


def observations(model: ScriptedModel) -> list[str]:
    """The tool-response and user texts of the last request: what the agent saw from its actions."""
    last = model.received[-1]
    return [
        item["text"]
        for m in last
        if m.role in (MessageRole.TOOL_RESPONSE, MessageRole.USER, "tool-response", "user")
        for item in (m.content if isinstance(m.content, list) else [])
        if item.get("type") == "text"
    ]
