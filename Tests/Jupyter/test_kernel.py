"""Atelier's Jupyter kernel driven by real clients.

1. nbclient executes a notebook: data, a one-epoch fit, a history and a t-SNE plot,
   a typo, and a fit interrupted by the cell's timeout; every output type is checked.
2. jupyter_client talks to the kernel directly: complete, inspect, is_complete,
   heartbeat, SVG figures, an interrupt over the control channel, a message with a bad
   signature (refused and logged, not run), and a clean shutdown.
3. nbformat validates the executed notebook `atelier run --report` writes.

Usage: test_kernel.py path/to/atelier (run by Tests/Jupyter/jupyter.sh).
"""

import base64
import os
import re
import struct
import subprocess
import sys
import tempfile
import time
import uuid

import jupyter_client
import nbformat
import zmq
from jupyter_client.session import Session
from nbclient import NotebookClient

ATELIER = sys.argv[1] if len(sys.argv) > 1 else ".build/release/atelier"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLASSES = '["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]'
LOAD = f'data = idx("{ROOT}/Tests/Fixtures", classes: {CLASSES})'
failures = []


def check(condition, what):
    print(("ok   " if condition else "FAIL ") + what)
    if not condition:
        failures.append(what)


def png_size(b64):
    png = base64.b64decode(b64)
    assert png[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", png[16:24])


def kernel_processes():
    """Pids of running Atelier kernels (their command line names `kernel` and a connection file)."""
    found = set()
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if b"kernel" in argv and b"--connection-file" in argv and argv[0].endswith(b"atelier"):
            found.add(int(pid))
    return found


def outputs_of(cell, kind):
    return [o for o in cell.outputs if o.output_type == kind]


def text_of(cell):
    """What a cell printed: its streams and the progress lines it redrew in place."""
    shown = [o.get("text") or o.get("data", {}).get("text/plain", "") for o in cell.outputs
             if o.output_type == "stream" or (o.output_type == "display_data" and list(o.data) == ["text/plain"])]
    return "".join(t if t.endswith("\n") else t + "\n" for t in shown)


def notebook_through_nbclient():
    print("-- nbclient executes a notebook")
    cells = [
        LOAD + "\nprint data.train",
        "net = model {\n  conv 6, 5, pad: 2; relu; maxpool 2\n  flatten; dense 10\n}\n"
        "h = fit(net, data.train, epochs: 1, val: data.test)\nh.epochs",
        "plot(h, size: [640, 400])",
        'plot(tsne(features(net, data.train, at: "flatten1"), iters: 300), size: [500, 500])',
        "y = nett + 1",
        'long = fit(net, data.train, epochs: 100000)\nprint "after the long fit"',
        "evaluate(net, data.test)",
    ]
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "atelier", "display_name": "Atelier", "language": "atelier"}
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    nb.cells[5].metadata["tags"] = ["interrupt-me"]
    before = kernel_processes()
    client = NotebookClient(
        nb,
        kernel_name="atelier",
        allow_errors=True,
        interrupt_on_timeout=True,
        timeout_func=lambda cell: 6 if "interrupt-me" in cell.metadata.get("tags", []) else 300,
        resources={"metadata": {"path": tempfile.mkdtemp()}},
    )
    started = time.time()
    client.execute()
    print(f"   executed in {time.time() - started:.1f} s")
    load, fit, history, tsne, typo, interrupted, evaluated = nb.cells

    check(any("1,000 images" in o.text for o in outputs_of(load, "stream")), "printed text arrives as a stream")
    progress = [o for o in outputs_of(fit, "display_data") if "text/plain" in o.data]
    check(len(progress) == 1 and progress[0].data["text/plain"].startswith("epoch 1/1  loss "),
          "fit's progress is one line, redrawn in place until the epoch ends")
    check("val_acc" in text_of(fit), "the epoch's line carries the validation figures")
    results = outputs_of(fit, "execute_result")
    check(len(results) == 1 and results[0].data["text/plain"] == "1", "a shown value is an execute_result")
    check(results and results[0].execution_count == fit.execution_count == 2, "execution counts follow the cells")

    for cell, size, what in ((history, (640, 400), "history"), (tsne, (500, 500), "t-SNE")):
        shown = [o for o in outputs_of(cell, "display_data") if "image/png" in o.data]
        check(len(shown) == 1, f"the {what} plot arrives as display_data image/png")
        if shown:
            check(png_size(shown[0].data["image/png"]) == size, f"the {what} PNG decodes at the asked size {size}")
            check(shown[0].metadata["image/png"] == {"width": size[0], "height": size[1]}, f"the {what} PNG's size metadata")

    errors = outputs_of(typo, "error")
    check(len(errors) == 1, "the typo cell carries an error output")
    if errors:
        e = errors[0]
        check(e.ename and "'nett' is not defined" in e.evalue, f"ename/evalue name the typo ({e.ename}: {e.evalue})")
        check(re.search(r"<cell 5>:1:5: error", e.evalue) is not None, "the error names line:col of the cell")
        check(e.traceback[1:] == ["    y = nett + 1", "        ^"] + e.traceback[3:], "the traceback shows the line and a caret")
        check(any("did you mean 'net'" in line for line in e.traceback), "the traceback carries the hint")

    text = text_of(interrupted)
    check("interrupted at epoch" in text, "the timed-out fit was interrupted at a safe point")
    check("after the long fit" not in text, "the interrupted cell's later statements did not run")
    stopped = outputs_of(interrupted, "error")
    check(len(stopped) == 1 and stopped[0].ename == "Interrupted", "the interrupted cell ends with an Interrupted error")

    shown = outputs_of(evaluated, "execute_result")
    acc = re.search(r"acc:? *([0-9.]+)", shown[0].data["text/plain"]) if shown else None
    check(acc is not None and float(acc.group(1)) > 0.3, "after the interrupt the net keeps its weights and evaluates")

    time.sleep(0.5)
    check(kernel_processes() - before == set(), "the kernel shut down with no leftover process")
    return nb


def protocol_through_jupyter_client():
    print("-- jupyter_client drives the kernel")
    log = tempfile.NamedTemporaryFile(prefix="atelier-kernel-", suffix=".log", delete=False)
    km = jupyter_client.KernelManager(kernel_name="atelier")
    env = dict(os.environ, ATELIER_FIGURES="png,svg")
    km.start_kernel(stderr=log, env=env, cwd=tempfile.mkdtemp())
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=60)
    pid = km.provisioner.process.pid
    try:
        reply = kc.execute_interactive(LOAD, timeout=60)
        check(reply["content"]["status"] == "ok", "the data loads")

        kc.complete("data.tr", 7)
        matches = kc.get_shell_msg(timeout=10)["content"]["matches"]
        check("data.train" in matches, f"complete of data.tr gives data.train ({matches})")
        kc.complete("tsne(x, perp", 12)
        check(kc.get_shell_msg(timeout=10)["content"]["matches"][:1] == ["perplexity:"], "complete offers named arguments")

        kc.inspect("fit", 3)
        inspected = kc.get_shell_msg(timeout=10)["content"]
        check(inspected["found"] and inspected["data"]["text/plain"].startswith("fit(model, data"), "inspect of fit gives its help")

        kc.is_complete("net = model {")
        check(kc.get_shell_msg(timeout=10)["content"]["status"] == "incomplete", "is_complete of `model {` is incomplete")
        kc.is_complete("x = 1")
        check(kc.get_shell_msg(timeout=10)["content"]["status"] == "complete", "is_complete of `x = 1` is complete")

        context = zmq.Context.instance()
        ping = context.socket(zmq.REQ)
        ping.connect(f"{km.transport}://{km.ip}:{km.hb_port}")
        ping.send(b"ping")
        check(ping.poll(5000) and ping.recv() == b"ping", "the heartbeat answers")
        ping.close(linger=0)

        figures = []
        kc.execute_interactive("plot([1, 4, 9, 16], size: [300, 200])", timeout=60, output_hook=figures.append)
        data = next((m["content"]["data"] for m in figures if m["msg_type"] == "display_data"), {})
        check("<svg" in data.get("image/svg+xml", ""), "with ATELIER_FIGURES=png,svg a figure also comes as SVG")
        check("image/png" in data and png_size(data["image/png"]) == (300, 200), "and as a PNG of the asked size")

        # A message signed with another key is refused, not run.
        intruder = Session(key=b"not-the-key", username="intruder")
        intruder.send(kc.shell_channel.socket, "execute_request", {"code": "stolen = 1", "silent": False})
        time.sleep(1)
        reply = kc.execute_interactive("stolen", timeout=30, output_hook=lambda m: None)
        check(reply["content"]["status"] == "error", "the badly signed cell did not run")
        with open(log.name) as f:
            logged = f.read()
        check("rejected a message on shell: bad signature" in logged, "the bad signature is logged")

        # An interrupt over the control channel stops a running fit at its next safe point.
        streamed = []
        msg_id = kc.execute("n2 = model { flatten; dense 10 }\nfit(n2, data.train, epochs: 2000)")
        # Interrupt once the fit draws its progress, so that it is the fit that stops.
        deadline = time.time() + 60
        while time.time() < deadline:
            msg = kc.get_iopub_msg(timeout=60)
            if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] in ("display_data", "stream"):
                break
        time.sleep(1)
        kc.control_channel.send(kc.session.msg("interrupt_request", {}))
        control = kc.control_channel.get_msg(timeout=10)
        check(control["msg_type"] == "interrupt_reply", "interrupt_request is answered on control")
        deadline = time.time() + 30
        while time.time() < deadline:
            msg = kc.get_iopub_msg(timeout=30)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            if msg["msg_type"] in ("stream", "display_data", "update_display_data"):
                streamed.append(msg["content"].get("text") or msg["content"]["data"].get("text/plain", ""))
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                break
        check(any("interrupted at epoch" in t for t in streamed), "the fit stopped, keeping its weights")
        reply = kc.get_shell_msg(timeout=10)
        check(reply["parent_header"]["msg_id"] == msg_id and reply["content"].get("ename") == "Interrupted",
              "the interrupted cell ends as Interrupted")

        # A plain loop stops at its next turn; what it computed stays.
        msg_id = kc.execute('turns = 0\nprint "looping"\nwhile true { turns = turns + 1 }')
        # Interrupt only once the loop runs (a busy machine may take a while to get there).
        deadline = time.time() + 60
        while time.time() < deadline:
            msg = kc.get_iopub_msg(timeout=60)
            if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "stream":
                break
        # The host can stall the kernel for a while right after it prints: give the loop time to start.
        time.sleep(2)
        kc.control_channel.send(kc.session.msg("interrupt_request", {}))
        kc.control_channel.get_msg(timeout=10)
        reply = kc.get_shell_msg(timeout=30)
        check(reply["content"].get("ename") == "Interrupted", "an interrupted loop ends the cell as Interrupted")
        shown = []
        kc.execute_interactive("turns > 0", timeout=30, output_hook=shown.append)
        check(any(m["msg_type"] == "execute_result" and m["content"]["data"]["text/plain"] == "true" for m in shown),
              f"the loop's variable keeps its last value ({[(m['msg_type'], m['content']) for m in shown]}, {reply['content']})")

        # Control serves only kernel_info, interrupt and shutdown: a cell sent there does not run.
        kc.control_channel.send(kc.session.msg("execute_request", {"code": "via_control = 1", "silent": False}))
        time.sleep(0.5)
        reply = kc.execute_interactive("via_control", timeout=30, output_hook=lambda m: None)
        check(reply["content"]["status"] == "error", "a cell sent on control does not run")

        # iopub brackets a request: busy, its input, its outputs, idle.
        seen = []
        kc.execute_interactive('print "hello"', timeout=30, output_hook=lambda m: seen.append(m["msg_type"]))
        check(seen == ["status", "execute_input", "stream", "status"], f"iopub order of a cell: {seen}")

        # The prompt's commands work as a whole cell.
        said = []
        kc.execute_interactive(":vars", timeout=30, output_hook=lambda m: said.append(m["content"].get("text", "")))
        check(any(re.search(r"^data +record +{train: dataset train", t, re.M) for t in said), ":vars lists the session's variables")

        # Run All: after a failing cell, the cells queued behind it are aborted, not run.
        ids = [kc.execute(code) for code in (
            "spin = 0\nfor i in range(200000) { spin = spin + 1 }", "broken = no_such_name", "after = 1")]
        statuses = {}
        while len(statuses) < 3:
            reply = kc.get_shell_msg(timeout=60)
            statuses[reply["parent_header"]["msg_id"]] = reply["content"]["status"]
        check([statuses[i] for i in ids] == ["ok", "error", "aborted"], f"cells after an error are aborted ({statuses})")
        reply = kc.execute_interactive("after", timeout=30, output_hook=lambda m: None)
        check(reply["content"]["status"] == "error", "an aborted cell did not run")

        kc.comm_info()
        check(kc.get_shell_msg(timeout=10)["content"]["comms"] == {}, "comm_info answers")

        # Shutdown is answered on control and the kernel exits by itself, cleanly.
        kc.shutdown()
        reply = kc.control_channel.get_msg(timeout=10)
        check(reply["msg_type"] == "shutdown_reply" and reply["content"]["status"] == "ok", "shutdown is answered")
        check(km.provisioner.process.wait(timeout=10) == 0, "the kernel exits with status 0 after shutdown")
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    check(not os.path.exists(f"/proc/{pid}"), "no kernel process is left")
    os.unlink(log.name)


def executed_report_validates():
    print("-- nbformat validates atelier run --report")
    folder = tempfile.mkdtemp()
    report = os.path.join(folder, "quickstart.ipynb")
    subprocess.run(
        [ATELIER, "run", os.path.join(ROOT, "notebooks/quickstart.atl"), "--out", folder, "--report", report],
        check=True, stdout=subprocess.DEVNULL, cwd=folder,
    )
    nb = nbformat.read(report, as_version=4)
    try:
        nbformat.validate(nb)
        check(True, "the executed quickstart notebook is valid nbformat")
    except nbformat.ValidationError as error:
        check(False, f"the executed quickstart notebook is valid nbformat: {error}")
    check(any(o.output_type == "stream" for c in nb.cells if c.cell_type == "code" for o in c.outputs), "it carries outputs")


notebook_through_nbclient()
protocol_through_jupyter_client()
executed_report_validates()
if failures:
    print(f"{len(failures)} Jupyter check(s) failed")
    sys.exit(1)
print("every Jupyter check passed")
