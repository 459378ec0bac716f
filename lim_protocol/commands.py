"""Command codes, client types and conversation types of the wire protocol."""

from __future__ import annotations

from enum import IntEnum


class Command(IntEnum):
    """Every command a lim server accepts or sends.

    The families are fixed: 1000s messages, 2000s groups, 3000s relations,
    4000s profiles and presence, 5000s conversations, 9000s the session.
    """

    # session
    LOGIN = 9000
    LOGIN_ACK = 9001
    MUTUAL_LOGIN = 9002
    LOGOUT = 9003
    ERROR = 9004
    API_REQUEST = 9100
    API_RESPONSE = 9101
    PING = 9999

    # 1:1 messages
    MSG_P2P = 1103
    MSG_ACK = 1046
    MSG_RECEIVE_ACK = 1107
    MSG_READ = 1106
    MSG_READ_NOTIFY = 1053
    MSG_READ_RECEIPT = 1054
    MSG_RECALL = 1050
    MSG_RECALL_ACK = 1051
    MSG_RECALL_NOTIFY = 1052
    MSG_SYNC_NOTIFY = 1060

    # group messages
    MSG_GROUP = 2104
    GROUP_MSG_ACK = 2047
    GROUP_MSG_READ = 2106
    GROUP_MSG_READ_NOTIFY = 2053

    # group events
    GROUP_CREATED = 2000
    GROUP_UPDATED = 2001
    GROUP_MEMBER_ADDED = 2002
    GROUP_MEMBER_REMOVED = 2003
    GROUP_MEMBER_UPDATED = 2004
    GROUP_DISMISSED = 2005
    GROUP_TRANSFERRED = 2006
    GROUP_MUTED = 2007
    GROUP_MEMBER_MUTED = 2008
    GROUP_JOIN_REQUESTED = 2009
    GROUP_JOIN_HANDLED = 2010

    # relation events
    FRIEND_ADDED = 3000
    FRIEND_UPDATED = 3001
    FRIEND_DELETED = 3002
    FRIEND_REQUEST = 3003
    FRIEND_REQUEST_READ = 3004
    FRIEND_REQUEST_APPROVED = 3005
    FRIEND_REQUEST_REJECTED = 3006
    BLACKLIST_ADDED = 3010
    BLACKLIST_DELETED = 3011
    FRIEND_GROUP_CREATED = 3012
    FRIEND_GROUP_DELETED = 3013
    FRIEND_GROUP_MEMBER_ADDED = 3014
    FRIEND_GROUP_MEMBER_DELETED = 3015
    FRIENDS_DELETED_ALL = 3016

    # profile and presence
    USER_MODIFIED = 4000
    USER_ONLINE_STATUS_CHANGED = 4001
    USER_CUSTOM_STATUS_CHANGED = 4004

    # conversations
    CONVERSATION_DELETED = 5000
    CONVERSATION_UPDATED = 5001


class ClientType(IntEnum):
    """The kind of device on the other end of a connection."""

    API = 0
    WEB = 1
    IOS = 2
    ANDROID = 3
    WINDOWS = 4
    MAC = 5
    LINUX = 6
    TERMINAL = 7

    @property
    def category(self) -> DeviceCategory:
        return _CATEGORIES[self]


class DeviceCategory(IntEnum):
    """Device categories that the login modes count."""

    API = 0
    MOBILE = 1
    DESKTOP = 2
    WEB = 3


_CATEGORIES = {
    ClientType.API: DeviceCategory.API,
    ClientType.WEB: DeviceCategory.WEB,
    ClientType.IOS: DeviceCategory.MOBILE,
    ClientType.ANDROID: DeviceCategory.MOBILE,
    ClientType.WINDOWS: DeviceCategory.DESKTOP,
    ClientType.MAC: DeviceCategory.DESKTOP,
    ClientType.LINUX: DeviceCategory.DESKTOP,
    ClientType.TERMINAL: DeviceCategory.DESKTOP,
}


class ConversationType(IntEnum):
    P2P = 0
    GROUP = 1
