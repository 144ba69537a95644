"""Unmask driven by a real third-party LSP client (pygls' LanguageClient) over stdio, with the
capability sets VS Code and Neovim send."""
import asyncio
import pytest
from lsprotocol import types as t
from pygls.lsp.client import LanguageClient

VSCODE_CAPS = t.ClientCapabilities(
    general=t.GeneralClientCapabilities(position_encodings=[t.PositionEncodingKind.Utf16]),
    window=t.WindowClientCapabilities(work_done_progress=True),
    workspace=t.WorkspaceClientCapabilities(apply_edit=True),
    text_document=t.TextDocumentClientCapabilities(inline_completion=t.InlineCompletionClientCapabilities(dynamic_registration=False)))
NEOVIM_CAPS = t.ClientCapabilities(
    general=t.GeneralClientCapabilities(position_encodings=[t.PositionEncodingKind.Utf8, t.PositionEncodingKind.Utf16, t.PositionEncodingKind.Utf32]),
    window=t.WindowClientCapabilities(work_done_progress=True),
    workspace=t.WorkspaceClientCapabilities(apply_edit=True))

async def session(unmask_bin, caps, expected_encoding):
    client = LanguageClient("pygls-test", "1.0")
    messages = []
    @client.feature("window/logMessage")
    def _log(params): messages.append(params.message)
    @client.feature("window/showMessage")
    def _show(params): messages.append(params.message)
    @client.feature("workspace/applyEdit")
    def _apply(params): return t.ApplyWorkspaceEditResult(applied=True)
    @client.feature("window/workDoneProgress/create")
    def _create(params): return None
    await client.start_io(unmask_bin, "lsp")
    result = await client.initialize_async(t.InitializeParams(capabilities=caps, process_id=None, root_uri=None))
    assert result.capabilities.position_encoding == expected_encoding
    assert result.capabilities.inline_completion_provider
    client.initialized(t.InitializedParams())
    uri = "file:///tmp/example.py"
    text = "def add(a, b):\n    return \n\n\nprint(add(1, 2))\n"
    client.text_document_did_open(t.DidOpenTextDocumentParams(t.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)))
    client.text_document_did_change(t.DidChangeTextDocumentParams(
        text_document=t.VersionedTextDocumentIdentifier(uri=uri, version=2),
        content_changes=[t.TextDocumentContentChangePartial(range=t.Range(t.Position(1, 10), t.Position(1, 10)), text=" ")]))
    items = await asyncio.wait_for(client.text_document_inline_completion_async(t.InlineCompletionParams(
        text_document=t.TextDocumentIdentifier(uri), position=t.Position(1, 11),
        context=t.InlineCompletionContext(trigger_kind=t.InlineCompletionTriggerKind.Automatic))), 60)
    assert items is not None
    # Cancel: a request cancelled at once answers with RequestCancelled (or completes first).
    fut = client.protocol.send_request_async(t.TEXT_DOCUMENT_INLINE_COMPLETION, t.InlineCompletionParams(
        text_document=t.TextDocumentIdentifier(uri), position=t.Position(0, 4),
        context=t.InlineCompletionContext(trigger_kind=t.InlineCompletionTriggerKind.Invoked)))
    fut.cancel()
    doctor = await client.workspace_execute_command_async(t.ExecuteCommandParams(command="unmask.doctor"))
    assert doctor["state"] in ("ready", "busy", "loading")
    await client.shutdown_async(None)
    client.exit(None)
    await asyncio.sleep(0.5)
    await client.stop()
    return messages

@pytest.mark.parametrize("caps,enc", [(VSCODE_CAPS, t.PositionEncodingKind.Utf16), (NEOVIM_CAPS, t.PositionEncodingKind.Utf8)], ids=["vscode", "neovim"])
def test_third_party_client(unmask_bin, caps, enc):
    messages = asyncio.run(session(unmask_bin, caps, enc))
    assert any("model loaded" in m for m in messages), messages
