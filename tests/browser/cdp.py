"""Debian's chromium, headless, driven over the Chrome DevTools Protocol (python3-websocket).

Chromium is started with --remote-debugging-port=0 and a temporary --user-data-dir; the port it
picked is read from DevToolsActivePort in that directory. It runs in its own process group and
close() kills that group by the PID it was started with (also when the test fails). Every page
records console errors, uncaught exceptions, Log entries and CSP violations (a
securitypolicyviolation listener installed through the protocol, which no page CSP can block)."""
import base64
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

try:
    import websocket  # python3-websocket
except ImportError:
    # Debian's package lives in the system interpreter's dist-packages; a python3 from elsewhere
    # (pyenv, a venv) on PATH does not see it. The module is pure Python: use it from there.
    sys.path.append("/usr/lib/python3/dist-packages")
    try:
        import websocket
    except ImportError:  # reported by available()
        websocket = None
    finally:
        sys.path.remove("/usr/lib/python3/dist-packages")

CHROMIUM_NAMES = ("chromium", "chromium-browser")

_RECORD_VIOLATIONS = """
window.__bwViolations = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__bwViolations.push(e.violatedDirective + ' ' + (e.blockedURI || '') + ' ' +
                             (e.sourceFile || '') + ':' + (e.lineNumber || 0));
});
"""


def run_tests():
    """unittest.main for these tests, returning CTest's exit code: 77 (skip, reasons printed)
    when every test was skipped, 1 on a failure, else 0."""
    import unittest
    result = unittest.main(verbosity=2, exit=False).result
    if not result.wasSuccessful():
        return 1
    if result.skipped and len(result.skipped) >= result.testsRun:
        for _, reason in result.skipped:
            print("SKIPPED: %s" % reason)
        return 77
    return 0


def chromium_binary():
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


def available():
    """None when chromium and python3-websocket are present, else what is missing."""
    missing = []
    if chromium_binary() is None:
        missing.append("chromium")
    if websocket is None:
        missing.append("python3-websocket")
    return None if not missing else "not installed: %s (scripts/setup.sh installs them)" % (
        ", ".join(missing))


class CdpError(RuntimeError):
    pass


class Browser:
    def __init__(self, width=1280, height=900, timeout=30):
        self.user_data_dir = tempfile.mkdtemp(prefix="batchwatch-chromium-")
        self.log_path = os.path.join(self.user_data_dir, "chromium.log")
        argv = [chromium_binary(), "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check",
                "--disable-extensions", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--metrics-recording-only",
                "--user-data-dir=" + self.user_data_dir, "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0", "--window-size=%d,%d" % (width, height),
                "about:blank"]
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        try:
            self.port = self._wait_for_port(timeout)
        except Exception:
            self.close()
            raise

    def _wait_for_port(self, timeout):
        path = os.path.join(self.user_data_dir, "DevToolsActivePort")
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise CdpError("chromium exited with %s:\n%s" % (self.proc.returncode,
                                                                  self.log()[-3000:]))
            try:
                with open(path) as f:
                    first = f.readline().strip()
                if first:
                    return int(first)
            except (OSError, ValueError):
                pass
            time.sleep(0.1)
        raise CdpError("chromium wrote no DevToolsActivePort within %d s:\n%s" % (
            timeout, self.log()[-3000:]))

    def log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def new_page(self, width=1280, height=900, mobile=False):
        req = urllib.request.Request("http://127.0.0.1:%d/json/new?about:blank" % self.port,
                                     method="PUT")
        with urllib.request.urlopen(req, timeout=10) as r:
            target = json.loads(r.read())
        return Page(self, target, width, height, mobile)

    def close(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait()
        else:
            # The group may outlive its leader (renderer and GPU helpers).
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        shutil.rmtree(self.user_data_dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Page:
    def __init__(self, browser, target, width, height, mobile):
        self.browser = browser
        self.target_id = target["id"]
        self.ws = websocket.create_connection(target["webSocketDebuggerUrl"], timeout=30,
                                              suppress_origin=True)
        self.next_id = 0
        self.events = []
        self.problems = []  # console errors, exceptions, error/security Log entries
        self.call("Page.enable")
        self.call("Runtime.enable")
        self.call("Log.enable")
        self.call("Page.addScriptToEvaluateOnNewDocument", source=_RECORD_VIOLATIONS)
        self.set_viewport(width, height, mobile)

    def set_viewport(self, width, height, mobile=False):
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=height,
                  deviceScaleFactor=1, mobile=mobile)

    def _note(self, msg):
        method, p = msg.get("method"), msg.get("params", {})
        self.events.append(msg)
        if method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            args = " ".join(str(a.get("value", a.get("description", ""))) for a in p["args"])
            self.problems.append("console.%s: %s" % (p["type"], args))
        elif method == "Runtime.exceptionThrown":
            d = p.get("exceptionDetails", {})
            self.problems.append("exception: %s %s" % (
                d.get("text", ""), d.get("exception", {}).get("description", "")))
        elif method == "Log.entryAdded":
            e = p.get("entry", {})
            # Browsers ask for /favicon.ico on their own; a page that links none is not at fault.
            if e.get("source") == "network" and e.get("url", "").endswith("/favicon.ico"):
                return
            if e.get("level") == "error" or e.get("source") == "security":
                self.problems.append("log %s/%s: %s %s" % (e.get("source"), e.get("level"),
                                                           e.get("text"), e.get("url", "")))

    def call(self, method, timeout=30, **params):
        self.next_id += 1
        my_id = self.next_id
        self.ws.send(json.dumps({"id": my_id, "method": method, "params": params}))
        deadline = time.time() + timeout
        while True:
            self.ws.settimeout(max(0.1, deadline - time.time()))
            try:
                msg = json.loads(self.ws.recv())
            except websocket.WebSocketTimeoutException:
                raise CdpError("no answer to %s within %d s" % (method, timeout))
            if msg.get("id") == my_id:
                if "error" in msg:
                    raise CdpError("%s: %s" % (method, msg["error"]))
                return msg.get("result", {})
            if "method" in msg:
                self._note(msg)

    def wait_event(self, method, timeout=30, since=0):
        """The first `method` event at index >= since, reading more as needed."""
        deadline = time.time() + timeout
        while True:
            for e in self.events[since:]:
                if e.get("method") == method:
                    return e
            if time.time() > deadline:
                raise CdpError("no %s within %d s" % (method, timeout))
            self.ws.settimeout(max(0.1, deadline - time.time()))
            try:
                msg = json.loads(self.ws.recv())
            except websocket.WebSocketTimeoutException:
                continue
            if "method" in msg:
                self._note(msg)

    def goto(self, url, timeout=60):
        """Loads `url` and waits for its load event; returns the seconds it took."""
        mark = len(self.events)
        started = time.time()
        result = self.call("Page.navigate", url=url)
        if result.get("errorText"):
            raise CdpError("navigate %s: %s" % (url, result["errorText"]))
        self.wait_event("Page.loadEventFired", timeout, since=mark)
        return time.time() - started

    def evaluate(self, expression, timeout=30):
        r = self.call("Runtime.evaluate", timeout=timeout, expression=expression,
                      returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in r:
            d = r["exceptionDetails"]
            raise CdpError("evaluate failed: %s %s" % (
                d.get("text"), d.get("exception", {}).get("description", "")))
        return r.get("result", {}).get("value")

    def type_into(self, selector, text):
        """Focuses `selector`, clears it and types `text` as keyboard input (input events)."""
        self.evaluate("(function(){var e=document.querySelector(%s); e.focus(); e.select();"
                      "return true;})()" % json.dumps(selector))
        self.call("Input.dispatchKeyEvent", type="keyDown", key="Backspace", code="Backspace",
                  windowsVirtualKeyCode=8)
        self.call("Input.dispatchKeyEvent", type="keyUp", key="Backspace", code="Backspace",
                  windowsVirtualKeyCode=8)
        if text:
            self.call("Input.insertText", text=text)

    def select_option(self, selector, value):
        """Chooses `value` in a <select> as a user would (the change and input events fire)."""
        self.evaluate("(function(){var s=document.querySelector(%s); s.focus(); s.value=%s;"
                      "s.dispatchEvent(new Event('input',{bubbles:true}));"
                      "s.dispatchEvent(new Event('change',{bubbles:true})); return s.value;})()"
                      % (json.dumps(selector), json.dumps(value)))

    def screenshot(self, path, full_page=True):
        params = {"format": "png"}
        if full_page:
            params["captureBeyondViewport"] = True
        data = self.call("Page.captureScreenshot", timeout=60, **params)["data"]
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))
        return path

    def violations(self):
        """CSP violations seen by the page (securitypolicyviolation events)."""
        return self.evaluate("window.__bwViolations || []")

    def drain(self, seconds=0.3):
        """Reads the events that arrive within `seconds` (late console messages)."""
        deadline = time.time() + seconds
        while time.time() < deadline:
            self.ws.settimeout(max(0.05, deadline - time.time()))
            try:
                msg = json.loads(self.ws.recv())
            except websocket.WebSocketTimeoutException:
                break
            if "method" in msg:
                self._note(msg)

    def close(self):
        try:
            self.ws.close()
        except Exception:
            pass
        try:
            urllib.request.urlopen("http://127.0.0.1:%d/json/close/%s" % (
                self.browser.port, self.target_id), timeout=5).read()
        except OSError:
            pass
