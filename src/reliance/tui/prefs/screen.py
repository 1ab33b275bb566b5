"""Settings: name, language, theme, network policy, port and mDNS; exports and offline bundles."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Input, Label, RadioButton, RadioSet, Select, Static, Switch

from reliance.app import settings
from reliance.app.workspace import Workspace
from reliance.fsutil import atomic_write
from reliance.i18n import LANGS, t, tn
from reliance.tui.common.base import RelianceScreen
from reliance.tui.common.data import load_ui, save_ui
from reliance.tui.common.widgets import plain, plain_options

# What the export menu offers: (format, Markdown content) by choice.
EXPORTS: dict[str, tuple[str, str]] = {
    "json": ("json", "code"),
    "markdown": ("markdown", "code"),
    "markdown_catalogue": ("markdown", "catalogue"),
    "markdown_programme": ("markdown", "programme"),
    "jsonld": ("jsonld", "code"),
    "csv": ("csv", "code"),
    "ics": ("ics", "code"),
}
EXPORT_FORMATS = tuple(EXPORTS)
EXTENSIONS = {"json": "json", "markdown": "md", "jsonld": "jsonld", "csv": "csv", "ics": "ics"}
FILE_NAMES = {
    "markdown_catalogue": "reliance-catalogue.md",
    "markdown_programme": "reliance-programme.md",
}
EXPORT_DIR_KEY = "export_dir"  # the folder last chosen (ui.json)


def file_name_for(choice: str) -> str:
    fmt, _ = EXPORTS[choice]
    return FILE_NAMES.get(choice, f"reliance-export.{EXTENSIONS[fmt]}")


def tilde(path: Path) -> str:
    """The path with the user's home directory written ~."""
    try:
        inside = path.relative_to(Path.home())
    except (ValueError, RuntimeError):
        return str(path)
    return "~" if inside == Path(".") else "~/" + str(inside)


def write_export(
    ws: Workspace, choice: str, folder: str, name: str, project: str | None, lang: str
) -> tuple[Path, list[str]]:
    """Store thread: export and write the file into `folder` (never the current directory). Returns it and
    the documents left out, unreadable."""
    from reliance.export import exporters

    target = settings.export_target(folder, name)
    fmt, content = EXPORTS[choice]
    left_out: list[str] = []
    text = exporters.export(
        ws,
        fmt,
        project=project,
        lang=lang,
        content=content,
        on_unreadable=lambda doc_id, _: left_out.append(doc_id),
    )
    # As is (CRLF for csv and ics), readable by the person's other programs, replaced whole.
    atomic_write(target, text.encode("utf-8"), 0o644, exact_mode=False)
    return target, left_out


def write_bundle(ws: Workspace, folder: str, name: str) -> tuple[int, Path, list[str]]:
    """Store thread: every document held in a bundle in `folder`. Returns the changes written, the file and
    the documents left out, unreadable."""
    from reliance.replication.bundle import export_bundle

    target = settings.export_target(folder, name)
    left_out: list[str] = []
    count = export_bundle(
        ws.repo,
        target,
        ws.repo.doc_ids(),
        ws.peer_id,
        settings.blocked_keys(ws.home),
        on_unreadable=lambda doc_id, _: left_out.append(doc_id),
        clock=ws.clock,
    )
    return count, target, left_out


class SettingsScreen(RelianceScreen):
    MODE = "settings"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+e", "export", "key.export"),
    ]

    def compose_body(self) -> ComposeResult:
        config = self.rapp.config
        lang = self.lang
        with VerticalScroll(id="settings"):
            yield Static(self.t("settings.identity"), classes="section-title")
            with Horizontal(classes="row"):
                yield Input(self.ws.identity.name, id="name", compact=True)
                yield Button(self.t("settings.rename"), id="rename", compact=True)
                yield Button(t("link.tui.title", lang), id="devices", compact=True)
            yield Static(self.t("settings.language"), classes="section-title")
            with RadioSet(id="lang", classes="choices"):
                for choice in LANGS:
                    yield RadioButton(
                        t(f"lang_name.{choice}", choice), value=choice == lang, id=f"lang-{choice}"
                    )
            yield Static(self.t("settings.theme"), classes="section-title")
            dark = self.rapp.theme_choice == "dark"
            with RadioSet(id="theme", classes="choices"):
                yield RadioButton(self.t("settings.dark"), value=dark, id="theme-dark")
                yield RadioButton(self.t("settings.light"), value=not dark, id="theme-light")
            yield Static(self.t("settings.network"), classes="section-title")
            policy = config.get("policy", "open")
            with RadioSet(id="policy", classes="choices"):
                yield RadioButton(self.t("policy.open"), value=policy == "open", id="policy-open")
                yield RadioButton(self.t("policy.known"), value=policy == "known", id="policy-known")
            yield Static(self.t("settings.policy_hint"), classes="hint")
            with Horizontal(classes="row"):
                yield Label(self.t("settings.port"), classes="row-label")
                yield Input(str(config.get("port", 7447)), id="port", type="integer", compact=True)
                yield Label(self.t("settings.mdns"), classes="row-label")
                yield Switch(bool(config.get("mdns", True)), id="mdns")
                yield Button(self.t("settings.save_network"), id="save-network", compact=True)
            yield Static(self.t("settings.restart_hint"), classes="hint")
            yield Static(self.t("settings.export"), classes="section-title")
            with Horizontal(classes="row"):
                yield Label(self.t("settings.export_folder"), classes="row-label")
                yield Input(tilde(self._export_dir()), id="export-folder", compact=True)
            with Horizontal(classes="row"):
                yield Select(
                    [(self.t(f"export.{f}"), f) for f in EXPORT_FORMATS],
                    value="json",
                    allow_blank=False,
                    id="format",
                    compact=True,
                )
                yield Select(
                    plain_options([(v.name, pid) for pid, v in self.data.projects.items()]),
                    prompt=self.t("settings.export_project"),
                    id="export-project",
                    compact=True,
                )
            with Horizontal(classes="row"):
                yield Input(file_name_for("json"), id="export-path", compact=True)
                yield Button(self.t("settings.export_button"), id="export", compact=True)
            yield Static(self.t("settings.bundle"), classes="section-title")
            yield Static(self.t("settings.bundle_hint"), classes="hint")
            with Horizontal(classes="row"):
                yield Input("reliance.bundle", id="bundle-path", compact=True)
                yield Button(self.t("settings.bundle_export"), id="bundle-export", compact=True)
                yield Button(self.t("settings.bundle_import"), id="bundle-import", compact=True)
            yield Static(plain(self.t("settings.home", home=tilde(self.rapp.home))), classes="hint")

    # -- events --------------------------------------------------------------------------------------------
    async def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        pressed = event.pressed.id or ""
        if event.radio_set.id == "lang":
            if (lang := pressed.removeprefix("lang-")) in LANGS:
                await self.rapp.set_lang(lang)
        elif event.radio_set.id == "theme":
            self.rapp.set_theme_choice("dark" if pressed == "theme-dark" else "light")
        elif event.radio_set.id == "policy":
            value = "known" if pressed == "policy-known" else "open"
            self.rapp.perform(self.rapp.save_config("policy", value), done=self.t("done.saved"))

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "format" and event.value in EXPORTS:
            self.query_one("#export-path", Input).value = file_name_for(str(event.value))

    def _export_dir(self) -> Path:
        chosen = load_ui(self.rapp.home, EXPORT_DIR_KEY)
        if isinstance(chosen, str) and chosen and Path(chosen).is_dir():
            return Path(chosen)
        return settings.default_export_dir()

    def _folder(self) -> str:
        return self.query_one("#export-folder", Input).value.strip()

    async def _remember_folder(self, target: Path) -> None:
        await self.rapp.io(save_ui, self.rapp.home, EXPORT_DIR_KEY, str(target.parent))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "name":  # Enter in the name field renames, as the button does
            event.stop()
            self._rename()

    def _rename(self) -> None:
        name = self.query_one("#name", Input).value.strip()
        self.rapp.perform(
            self.rapp.operate(self.ws.peer_id, "identity.rename", {"name": name}),
            done=self.t("done.renamed", name=name),
        )

    def on_button_pressed(self, event: Button.Pressed) -> None:
        button = event.button.id
        if button == "devices":
            from reliance.tui.devices.screen import DevicesDialog

            self.app.push_screen(DevicesDialog())
        elif button == "rename":
            self._rename()
        elif button == "save-network":
            self.rapp.perform(self._save_network(), done=self.t("done.saved_restart"))
        elif button == "export":
            self.action_export()
        elif button == "bundle-export":
            name = self.query_one("#bundle-path", Input).value
            self.rapp.perform(self._bundle_export(self._folder(), name))
        elif button == "bundle-import":
            name = self.query_one("#bundle-path", Input).value
            self.rapp.perform(self._bundle_import(self._folder(), name))

    async def _save_network(self) -> None:
        port = self.query_one("#port", Input).value.strip()
        mdns = self.query_one("#mdns", Switch).value
        await self.rapp.save_config("port", port)
        await self.rapp.save_config("mdns", "on" if mdns else "off")

    def action_export(self) -> None:
        choice = str(self.query_one("#format", Select).value)
        project = self.query_one("#export-project", Select).value
        name = self.query_one("#export-path", Input).value
        chosen = None if project is Select.NULL else str(project)
        self.rapp.perform(self._export(choice, self._folder(), name, chosen))

    async def _export(self, choice: str, folder: str, name: str, project: str | None) -> None:
        target, left_out = await self.rapp.io(write_export, self.ws, choice, folder, name, project, self.lang)
        await self._remember_folder(target)
        self.notify(self.t("done.exported", path=tilde(target)), timeout=10)
        self._tell_left_out(left_out)

    async def _bundle_export(self, folder: str, name: str) -> None:
        count, target, left_out = await self.rapp.io(write_bundle, self.ws, folder, name)
        await self._remember_folder(target)
        self.notify(self.t("done.bundle_written", count=count, path=tilde(target)), timeout=10)
        self._tell_left_out(left_out)

    def _tell_left_out(self, doc_ids: list[str]) -> None:
        if doc_ids:
            text = tn("done.left_out", len(doc_ids), self.rapp.lang, docs=", ".join(doc_ids))
            self.notify(text, severity="warning")

    async def _bundle_import(self, folder: str, name: str) -> None:
        # Through the owner's one write path (this app's node, or `serve`'s): it announces what changed.
        target = settings.export_target(folder, name)
        result = await self.rapp.operate(None, "bundle.import", {"path": str(target), "cwd": "/"})
        changed = [row["doc"] for row in result["rows"] if row["added"] or row["new_document"]]
        applied = int(result["applied"])
        await self.rapp.refresh_docs(set(changed))
        self.notify(self.t("done.bundle_read", count=applied))

    def refresh_data(self, doc_ids: set[str] | None = None) -> None:
        if self.query("#export-project"):
            select = self.query_one("#export-project", Select)
            options = [(v.name, pid) for pid, v in self.data.projects.items()]
            with select.prevent(Select.Changed):
                value = select.value
                select.set_options(plain_options(options))
                if value in {pid for _, pid in options}:
                    select.value = value
