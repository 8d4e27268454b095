"""All models, imported here so Alembic and the app see the whole schema."""

from models.admin import AccountGrant, AdminUser, ApiToken
from models.audit import AuditLog
from models.automation import AutomationSettings
from models.conversation import ChatPin
from models.insights import InsightDay, InsightRollup, InsightSender, MembershipEvent
from models.message import Message
from models.plugin import AutoReplyRule, PluginConfig
from models.schedule import Schedule, ScheduleRun
from models.send_job import SendJob, SendJobItem
from models.wechat import Account, Contact, Group, Membership

__all__ = [
    "Account", "AccountGrant", "AdminUser", "ApiToken", "AuditLog", "AutomationSettings", "ChatPin", "Contact",
    "Group", "Membership",
    "Message", "SendJob", "SendJobItem",
    "AutoReplyRule", "PluginConfig", "Schedule", "ScheduleRun",
    "InsightDay", "InsightRollup", "InsightSender", "MembershipEvent",
]
