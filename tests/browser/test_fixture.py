#!/usr/bin/env python3
"""The browser driver (cdp.py) and the DOM contract checks (dom_checks.py) against a hand-written
fixture of the contract (fixture/), served by a tiny http.server on 127.0.0.1 with a strict CSP.
Passes on the fixture and fails on fixture/broken.html (a problem row after a healthy one, an
inline script the CSP blocks), so the checks can fail. Screenshots go under the build directory
($BATCHWATCH_SCREENSHOT_DIR, default build/tests/browser/screenshots/)."""
import os
import sys
import threading
import unittest
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import cdp  # noqa: E402
import dom_checks  # noqa: E402

SRC = os.environ.get("BATCHWATCH_SOURCE_DIR", os.path.dirname(os.path.dirname(HERE)))
SHOTS = os.environ.get("BATCHWATCH_SCREENSHOT_DIR",
                       os.path.join(SRC, "build", "tests", "browser", "screenshots"))
FIXTURE = os.path.join(HERE, "fixture")
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


SCALE_ROWS = 10000


def scale_page():
    """fleet.html with SCALE_ROWS rows: the driver's and the checks' own cost at 10,000 rows."""
    with open(os.path.join(FIXTURE, "fleet.html")) as f:
        page = f.read()
    rows = []
    for i in range(SCALE_ROWS):
        ns, name = "team-%d" % (i % 300), "cron-%d" % i
        problems = "failing" if i < 100 else ""
        rows.append('<tr class="cronjob" data-namespace="%s" data-name="%s" data-problems="%s">'
                    '<td><a href="cronjobs/%s/%s">%s/%s</a></td><td>%s</td><td>*/5 * * * *</td>'
                    '</tr>' % (ns, name, problems, ns, name, ns, name, problems or "none"))
    head, rest = page.split("<tbody>", 1)
    tail = rest.split("</tbody>", 1)[1]
    return (head + "<tbody>\n" + "\n".join(rows) + "\n</tbody>" + tail).encode()


class FixtureHandler(BaseHTTPRequestHandler):
    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        path = self.path.split("?")[0]
        if path == "/":
            name, kind = "fleet.html", "text/html; charset=utf-8"
        elif path == "/broken":
            name, kind = "broken.html", "text/html; charset=utf-8"
        elif path == "/scale":
            self._send(scale_page(), "text/html; charset=utf-8")
            return
        elif path.startswith("/cronjobs/") and path.count("/") == 3:
            name, kind = "cronjob.html", "text/html; charset=utf-8"
        elif path == "/static/batchwatch.js":
            name, kind = "static/batchwatch.js", "text/javascript; charset=utf-8"
        elif path == "/static/batchwatch.css":
            name, kind = "static/batchwatch.css", "text/css; charset=utf-8"
        else:
            self.send_error(404)
            return
        with open(os.path.join(FIXTURE, name), "rb") as f:
            self._send(f.read(), kind)

    def _send(self, body, kind):
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Content-Security-Policy", CSP)
        self.end_headers()
        self.wfile.write(body)


class Fixture(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        missing = cdp.available()
        if missing:
            raise unittest.SkipTest(missing)
        cls.server = ThreadingHTTPServer(("127.0.0.1", 0), FixtureHandler)
        cls.thread = threading.Thread(target=cls.server.serve_forever, daemon=True)
        cls.thread.start()
        cls.url = "http://127.0.0.1:%d" % cls.server.server_address[1]
        try:
            cls.browser = cdp.Browser()
        except Exception:
            cls.server.shutdown()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.browser.close()
        cls.server.shutdown()
        cls.server.server_close()

    def setUp(self):
        self.page = self.browser.new_page()

    def tearDown(self):
        self.page.close()

    def test_fleet_page(self):
        with urllib.request.urlopen(self.url + "/", timeout=5) as r:
            dom_checks.check_csp_header(r.headers)
        self.page.goto(self.url + "/")
        rows = dom_checks.check_fleet(
            self.page,
            expected={("batch", "failing-backup"), ("ops", "flaky-controller"),
                      ("batch", "healthy-report"), ("ops", "quiet-sync")},
            problems={("batch", "failing-backup"), ("ops", "flaky-controller")})
        self.assertEqual(len(rows), 4)
        self.assertEqual(dom_checks.check_text_filter(self.page, "healthy"),
                         {("batch", "healthy-report")})
        self.assertEqual(dom_checks.check_text_filter(self.page, "OPS/"),
                         {("ops", "flaky-controller"), ("ops", "quiet-sync")})
        self.assertEqual(dom_checks.check_namespace_select(self.page, "batch"),
                         {("batch", "failing-backup"), ("batch", "healthy-report")})
        dom_checks.check_resources(self.page)
        shot = self.page.screenshot(os.path.join(SHOTS, "fixture-fleet.png"))
        self.assertGreater(os.path.getsize(shot), 1000)
        dom_checks.check_clean(self.page)

    def test_cronjob_page_and_phone(self):
        self.page.goto(self.url + "/cronjobs/batch/failing-backup")
        d = dom_checks.check_cronjob_page(self.page, "batch", "failing-backup")
        self.assertEqual([s["outcome"] for s in d["slots"]], ["ran", "late", "missed", "pending"])
        self.assertEqual([dom_checks.parse_slot(s["slot"]) for s in d["slots"]],
                         [1796148000, 1796234400, 1796320800, 1796407200])
        self.assertEqual([(r["result"], r["job"]) for r in d["runs"]],
                         [("failed", "failing-backup-29410560"),
                          ("succeeded", "failing-backup-29412000")])
        self.page.screenshot(os.path.join(SHOTS, "fixture-cronjob.png"))
        self.page.set_viewport(390, 844, mobile=True)
        self.page.goto(self.url + "/")
        width = self.page.evaluate("document.documentElement.clientWidth")
        self.assertEqual(width, 390)
        self.page.screenshot(os.path.join(SHOTS, "fixture-phone.png"))
        dom_checks.check_clean(self.page)

    def test_checks_catch_a_broken_page(self):
        self.page.goto(self.url + "/broken")
        with self.assertRaisesRegex(AssertionError, "rows with problems after a row without"):
            dom_checks.check_fleet(self.page)
        with self.assertRaisesRegex(AssertionError, "scripts: .*inline"):
            dom_checks.check_resources(self.page)
        with self.assertRaisesRegex(AssertionError, "CSP violations: .*script-src"):
            dom_checks.check_clean(self.page)
        with self.assertRaisesRegex(AssertionError, "no Content-Security-Policy"):
            dom_checks.check_csp_header({})
        with self.assertRaisesRegex(AssertionError, "allows 'unsafe-inline'"):
            dom_checks.check_csp_header(
                {"Content-Security-Policy": "default-src 'self'; script-src 'unsafe-inline'"})

    def test_console_errors_are_reported(self):
        self.page.goto(self.url + "/")
        self.page.evaluate("console.error('boom from the test')")
        with self.assertRaisesRegex(AssertionError, "boom from the test"):
            dom_checks.check_clean(self.page)

    def test_ten_thousand_rows(self):
        load = self.page.goto(self.url + "/scale", timeout=120)
        rows = dom_checks.check_fleet(self.page)
        self.assertEqual(len(rows), SCALE_ROWS)
        typed, in_page, visible = dom_checks.time_filter(self.page, "cron-9999")
        self.assertEqual(visible, {("team-99", "cron-9999")})
        dom_checks.check_clean(self.page)
        print("\nfixture with %d rows: loaded in %.2f s; filter typed over CDP in %.2f s, the "
              "page's handler and relayout %.0f ms" % (SCALE_ROWS, load, typed, in_page))

    def test_missing_fleet_table_is_none(self):
        self.page.goto(self.url + "/cronjobs/batch/x")
        self.assertIsNone(dom_checks.fleet_rows(self.page))


if __name__ == "__main__":
    sys.exit(cdp.run_tests())
