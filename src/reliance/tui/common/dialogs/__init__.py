"""Modal dialogs: forms for items, answers, contributions and members; a section editor; confirmations.

`base` holds the `Dialog` every one of them is built on; the others group them by what they edit."""

from reliance.tui.common.dialogs.answers import (
    AnswerDialog,
    AnswerDraft,
    ReplyDialog,
    ReplyDraft,
    WithdrawAnswerDialog,
)
from reliance.tui.common.dialogs.base import ConfirmDialog, Dialog, PromptDialog
from reliance.tui.common.dialogs.item import ItemForm
from reliance.tui.common.dialogs.peers import AddressDialog, QrDialog
from reliance.tui.common.dialogs.projects import (
    EntryDialog,
    EntryDraft,
    LimitDialog,
    LimitDraft,
    MemberDialog,
    MemberDraft,
    ProjectDialog,
    ProjectDraft,
    VisibilityDialog,
)
from reliance.tui.common.dialogs.section import SectionEditor
from reliance.tui.common.dialogs.web import PairDialog, SessionsDialog

__all__ = [
    "AddressDialog",
    "AnswerDialog",
    "AnswerDraft",
    "ConfirmDialog",
    "Dialog",
    "EntryDialog",
    "EntryDraft",
    "ItemForm",
    "LimitDialog",
    "LimitDraft",
    "MemberDialog",
    "MemberDraft",
    "PairDialog",
    "ProjectDialog",
    "ProjectDraft",
    "PromptDialog",
    "QrDialog",
    "ReplyDialog",
    "ReplyDraft",
    "SectionEditor",
    "SessionsDialog",
    "VisibilityDialog",
    "WithdrawAnswerDialog",
]
