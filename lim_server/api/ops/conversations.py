"""Conversation operations: the list, its flags, reads, recall and recall sync."""

from __future__ import annotations

from pydantic import ConfigDict, Field

from lim_protocol.commands import ConversationType

from ..operations import Request, operation


def _examples(*examples: dict) -> ConfigDict:
    return ConfigDict(json_schema_extra={"examples": list(examples)})


class ConversationList(Request):
    model_config = _examples({}, {"asUser": "alice"})


class ConversationTarget(Request):
    model_config = _examples({"conversationId": "p2p|alice|bob"})

    conversation_id: str = Field(min_length=1, max_length=200)


class ConversationRead(Request):
    model_config = _examples(
        {"conversationId": "p2p|alice|bob", "messageSequence": 42},
        {"conversationId": "p2p|alice|bob"},
    )

    conversation_id: str = Field(min_length=1, max_length=200)
    message_sequence: int = Field(default=0, ge=0)


class MessageRecall(Request):
    model_config = _examples(
        {"messageKey": 7281948264729411584},
        {"messageKey": 7281948264729411584, "conversationType": 0, "toId": "bob"},
    )

    message_key: int
    conversation_type: ConversationType | None = None
    to_id: str | None = Field(default=None, min_length=1, max_length=64)


class RecallPull(Request):
    model_config = _examples({"conversationId": "p2p|alice|bob", "lastSequence": 0})

    conversation_id: str = Field(min_length=1, max_length=200)
    last_sequence: int = Field(default=0, ge=0)
    max_limit: int = Field(default=100, ge=1, le=1000)


@operation("/v1/conversation/list", ConversationList)
async def list_conversations(services, caller, request: ConversationList):
    """Visible conversations, pinned first, with last message and unread count."""
    return services.conversations.visible(caller)


@operation("/v1/conversation/get", ConversationTarget)
async def get_conversation(services, caller, request: ConversationTarget):
    """One conversation, deleted or not."""
    return services.conversations.get(caller, request.conversation_id)


def _flag_operation(path: str, flag: str, on: bool) -> None:
    async def change(services, caller, request: ConversationTarget):
        return await services.conversations.set_flag(
            caller, request.conversation_id, flag, on
        )

    verb = path.rsplit("/", 1)[1].capitalize()
    change.__doc__ = f"{verb} a conversation; other devices get CONVERSATION_UPDATED."
    operation(path, ConversationTarget)(change)


_flag_operation("/v1/conversation/pin", "pinned", True)
_flag_operation("/v1/conversation/unpin", "pinned", False)
_flag_operation("/v1/conversation/mute", "muted", True)
_flag_operation("/v1/conversation/unmute", "muted", False)


@operation("/v1/conversation/delete", ConversationTarget)
async def delete_conversation(services, caller, request: ConversationTarget):
    """Hide a conversation until its next message; its unread count is cleared."""
    return await services.conversations.delete(caller, request.conversation_id)


@operation("/v1/conversation/read", ConversationRead)
async def read_conversation(services, caller, request: ConversationRead):
    """Mark read up to ``messageSequence`` (0: all); sends read receipts."""
    return await services.conversations.mark_read(
        caller, request.conversation_id, request.message_sequence
    )


@operation("/v1/message/recall", MessageRecall)
async def recall_message(services, caller, request: MessageRecall):
    """Recall a message within the app's recall window (admins: any time)."""
    return await services.recall.recall(
        caller, request.message_key, request.conversation_type, request.to_id
    )


@operation("/v1/sync/recalls", RecallPull)
async def pull_recalls(services, caller, request: RecallPull):
    """Recalls in one conversation after ``lastSequence`` (its recallSequence)."""
    return services.conversations.recalls(
        caller, request.conversation_id, request.last_sequence, request.max_limit
    )
