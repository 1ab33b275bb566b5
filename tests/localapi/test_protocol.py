"""The local API's protocol without sockets: frames, messages, the table, the operations on a real store."""

from __future__ import annotations

from pathlib import Path

import msgpack
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reliance.app.workspace import Workspace
from reliance.localapi import ops
from reliance.localapi.ops import LocalApi
from reliance.localapi.protocol import (
    BAD_REQUEST,
    HEADER,
    UNAVAILABLE,
    ApiError,
    Event,
    FrameDecoder,
    FrameError,
    Request,
    Response,
    decode_body,
    encode_frame,
    error_frame,
    event_frame,
    parse_request,
    parse_server_message,
    request_frame,
    response_frame,
)


def bodies(stream: bytes, cuts: list[int], cap: int = 1 << 20) -> list[bytes]:
    decoder = FrameDecoder(cap)
    out: list[bytes] = []
    start = 0
    for cut in [*sorted(c % (len(stream) + 1) for c in cuts), len(stream)]:
        out += decoder.feed(stream[start:cut])
        start = cut
    assert not decoder.partial
    return out


@settings(max_examples=60, deadline=None)
@given(
    messages=st.lists(
        st.dictionaries(st.text(max_size=8), st.integers() | st.text(max_size=40), max_size=5), max_size=6
    ),
    cuts=st.lists(st.integers(min_value=0), max_size=12),
)
def test_frames_come_out_whole_and_in_order_however_the_stream_is_cut(
    messages: list[dict[str, object]], cuts: list[int]
) -> None:
    messages = [{k: (v if not isinstance(v, int) else v % 2**62) for k, v in m.items()} for m in messages]
    stream = b"".join(encode_frame(m) for m in messages)
    assert [msgpack.unpackb(b) for b in bodies(stream, cuts)] == messages


def test_a_header_over_the_cap_is_refused_before_its_body_is_kept() -> None:
    decoder = FrameDecoder(1000)
    with pytest.raises(FrameError, match="1001 bytes"):
        decoder.feed(HEADER.pack(1001))  # the body never has to arrive
    with pytest.raises(FrameError, match="0 bytes"):
        FrameDecoder(1000).feed(HEADER.pack(0) + b"x")
    assert FrameDecoder(1000).feed(HEADER.pack(1000) + b"\x90" * 1000) == [b"\x90" * 1000]


def test_garbage_is_a_frame_error_never_anything_else() -> None:
    for body in (
        b"\xc1",
        b"\x92\x01",
        b"\x01\x02",
        msgpack.packb([1, 2]),
        msgpack.packb({1: 2}),
        b"\xd9\xff",
    ):
        with pytest.raises(FrameError):
            decode_body(body, 1 << 20)
    deep = b"\x81\xa1a" * 20 + b"\xc0"  # nested maps beyond the depth
    with pytest.raises(FrameError):
        decode_body(deep, 1 << 20)
    wide = msgpack.packb({str(i): i for i in range(100)})  # a request's map is small
    with pytest.raises(FrameError):
        decode_body(wide, 1 << 20)
    assert decode_body(wide, 1 << 20, max_map=1000) == {str(i): i for i in range(100)}


def test_request_envelopes_are_checked() -> None:
    assert parse_request({"id": 3, "op": "whoami"}) == Request(3, "whoami", {})
    for bad in (
        {"op": "whoami"},
        {"id": -1, "op": "whoami"},
        {"id": True, "op": "whoami"},
        {"id": 1, "op": ""},
        {"id": 1, "op": "x" * 65},
        {"id": 1, "op": "whoami", "args": []},
        {"id": 1, "op": "whoami", "extra": 1},
    ):
        with pytest.raises(ApiError) as caught:
            parse_request(bad)
        assert caught.value.code == BAD_REQUEST


def test_what_the_owner_sends_reads_back() -> None:
    def one(frame: bytes) -> Response | Event:
        (body,) = FrameDecoder(1 << 20).feed(frame)
        return parse_server_message(decode_body(body, 1 << 20))

    assert one(response_frame(4, {"id": "x"})) == Response(4, True, {"id": "x"})
    assert one(error_frame(5, "refused", "no")) == Response(5, False, None, "refused", "no")
    assert one(event_frame("documents", {"doc_ids": ["a"]})) == Event("documents", {"doc_ids": ["a"]})
    assert parse_request(msgpack.unpackb(request_frame(6, "whoami")[4:])) == Request(6, "whoami", {})
    with pytest.raises(FrameError):
        parse_server_message({"id": "1", "ok": True})


@pytest.mark.parametrize(
    ("op", "args", "why"),
    [
        ("nope", {}, "no operation"),
        ("item.add", {"title": "x"}, "kind is required"),
        ("item.add", {"kind": "offer", "colour": "red"}, "unknown argument"),
        ("item.add", {"kind": 3}, "kind: a text"),
        ("item.add", {"kind": "offer", "tags": "vélo"}, "tags: a list"),
        ("item.add", {"kind": "offer", "tags": [1]}, "tags: a list of texts"),
        ("item.add", {"kind": "offer", "title": "x" * 5000}, "at most 4096"),
        ("project.contribute", {"project": "p", "kind": "time", "amount": "90", "unit": "min"}, "integer"),
        ("project.contribute", {"project": "p", "kind": "time", "amount": 2**63, "unit": "min"}, "integer"),
        ("refresh", {"doc_ids": ["x"] * 10_001}, "at most 10000"),
    ],
)
def test_the_table_refuses_what_it_does_not_declare(op: str, args: dict[str, object], why: str) -> None:
    with pytest.raises(ApiError, match=why) as caught:
        ops.TABLE.prepare(Request(1, op, args))
    assert caught.value.code == BAD_REQUEST


def test_every_operation_is_described() -> None:
    described = {entry["op"]: entry for entry in ops.TABLE.describe()}
    assert set(described) == set(ops.TABLE.operations)
    assert described["item.add"]["params"]["kind"] == {"type": "str", "required": True}


def test_operations_on_a_real_store_say_what_they_changed(tmp_path: Path) -> None:
    ws = Workspace.create(tmp_path / "home", "Alice")
    api = LocalApi(ws)
    run = lambda op, **args: ops.TABLE.operations[op].handler(ws, ops.TABLE.prepare(Request(1, op, args))[1])  # noqa: E731

    added = run("item.add", kind="offer", title="Vélo cargo", tags=["vélo"])
    assert added.changed == (ws.peer_id,) and added.result["title"] == "Vélo cargo"
    draft = run("item.add", kind="need", title="Une échelle", status="draft")
    assert draft.changed == ()  # a draft stays on this device: nothing to announce
    assert run("code.set", section="values", text="Entraide").changed == (ws.peer_id,)
    assert run("code.set", section="values", text="Entraide").changed == ()  # unchanged
    project = run("project.create", name="Jardin", visibility="public")
    assert project.changed == (project.result["id"],)

    listed = api.call("item.list", {"kinds": ["offer"]})
    assert [(i["title"], i["author_name"]) for i in listed] == [("Vélo cargo", "Alice")]
    assert api.call("code.show")["valeurs"] == "Entraide"
    with pytest.raises(ApiError) as caught:
        api.call("status")
    assert caught.value.code == UNAVAILABLE  # node operations need a running owner
    with pytest.raises(Exception, match="no item"):
        api.call("item.show", {"item_id": "0000000000000000"})
