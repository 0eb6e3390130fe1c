#!/usr/bin/env python3
"""Drives the Nimbus web page in headless Chromium against a running `nimbus serve`.

Environment:
  NIMBUS_TEST_SERVER_URL   the server, e.g. http://127.0.0.1:18080
  NIMBUS_TEST_SERVER_KEY   an API key the server accepts (not read-only)
  NIMBUS_TEST_BUCKET       a bucket that exists in moto; the test asks to delete it, declines, and checks it is still there
  NIMBUS_TEST_MOTO_URL     the moto server the nimbus server talks to (keys testing/testing, us-east-1)
  NIMBUS_TEST_ARTIFACTS    where screenshots go (default: a new temporary directory)
  NIMBUS_TEST_CHROMEDRIVER chromedriver (default /usr/bin/chromedriver); NIMBUS_TEST_CHROMIUM the browser
                           (default /usr/bin/chromium)

Exits 0 when every step passed, 1 with what was expected and what the page showed otherwise, 2 when the
environment is incomplete. Needs selenium and boto3 (scripts/test.d/browser.sh makes a virtual environment).
"""

import os
import shutil
import sys
import tarfile
import tempfile
import time
import traceback
import zipfile
from urllib.parse import urljoin

try:
    import boto3
    from botocore.exceptions import ClientError
    from selenium import webdriver
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select
except ImportError as missing:  # pragma: no cover - reported in words
    print(f"error: {missing}; run it with the Python of scripts/test.d/browser.sh ($NIMBUS_TEST_SELENIUM_PYTHON)",
          file=sys.stderr)
    sys.exit(2)

NOTICE = "live connection unavailable; using HTTP"
LIST_REQUEST = "list all S3 buckets"
MODULE_REQUEST = "an S3 bucket with versioning"


class Failure(Exception):
    """A step did not see what it expected."""


def step(text):
    step.number += 1
    step.started = time.monotonic()
    print(f"[{step.number:2}] {text}", flush=True)


step.number = 0
step.started = time.monotonic()


def ok(text):
    print(f"     ok: {text} ({time.monotonic() - step.started:.1f}s)", flush=True)


def environment():
    names = ["NIMBUS_TEST_SERVER_URL", "NIMBUS_TEST_SERVER_KEY", "NIMBUS_TEST_BUCKET", "NIMBUS_TEST_MOTO_URL"]
    missing = [name for name in names if not os.environ.get(name)]
    if missing:
        print(f"error: set {', '.join(missing)} (see the top of {__file__})", file=sys.stderr)
        sys.exit(2)
    artifacts = os.environ.get("NIMBUS_TEST_ARTIFACTS") or tempfile.mkdtemp(prefix="nimbus-browser-")
    os.makedirs(artifacts, exist_ok=True)
    return {
        "url": os.environ["NIMBUS_TEST_SERVER_URL"].rstrip("/") + "/",
        "key": os.environ["NIMBUS_TEST_SERVER_KEY"],
        "bucket": os.environ["NIMBUS_TEST_BUCKET"],
        "moto": os.environ["NIMBUS_TEST_MOTO_URL"],
        "artifacts": artifacts,
        "chromedriver": os.environ.get("NIMBUS_TEST_CHROMEDRIVER") or "/usr/bin/chromedriver",
        "chromium": os.environ.get("NIMBUS_TEST_CHROMIUM") or "/usr/bin/chromium",
    }


def make_driver(env, downloads):
    options = webdriver.ChromeOptions()
    if os.path.exists(env["chromium"]):
        options.binary_location = env["chromium"]
    for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1440,960",
                     "--disable-gpu", "--no-first-run", "--disable-extensions", "--lang=en-US"]:
        options.add_argument(argument)
    options.add_experimental_option("prefs", {
        "download.default_directory": downloads,
        "download.prompt_for_download": False,
        "download.directory_upgrade": True,
        "safebrowsing.enabled": False,
    })
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(env["chromedriver"]), options=options)
    try:
        driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": downloads})
    except WebDriverException:
        pass  # the prefs above still apply
    driver.set_page_load_timeout(30)
    return driver


class Page:
    """The page as the test reads it."""

    def __init__(self, driver):
        self.driver = driver

    def find(self, selector):
        return self.driver.find_element(By.CSS_SELECTOR, selector)

    def all(self, selector):
        return self.driver.find_elements(By.CSS_SELECTOR, selector)

    def text(self, selector):
        try:
            return self.find(selector).text.strip()
        except WebDriverException:
            return ""

    def visible(self, selector):
        try:
            return self.find(selector).is_displayed()
        except WebDriverException:
            return False

    def shows(self):
        """What the page shows now, for a failure message."""
        lines = []
        for label, selector in [("error", "#error"), ("notice", "#notice"), ("connection", "#connection")]:
            if self.visible(selector):
                lines.append(f"  {label}: {self.text(selector)!r}")
        messages = self.all("#messages .msg")
        if messages:
            lines.append(f"  last messages of {len(messages)}:")
            for message in messages[-4:]:
                try:
                    lines.append("    | " + message.text.strip().replace("\n", "\n    | "))
                except StaleElementReferenceException:
                    pass
        if self.visible("#module-result"):
            lines.append(f"  module: {self.text('#module-result')[:800]!r}")
        if not lines:
            body = self.text("body")
            lines.append(f"  page text: {body[:1200]!r}")
        return "\n".join(lines)

    def wait(self, condition, timeout, expected):
        deadline = time.monotonic() + timeout
        last_error = None
        while time.monotonic() < deadline:
            try:
                value = condition()
                if value:
                    return value
            except (StaleElementReferenceException, WebDriverException) as error:
                last_error = error
            time.sleep(0.2)
        detail = f"\n  (last driver error: {last_error.__class__.__name__})" if last_error else ""
        raise Failure(f"expected {expected} within {timeout:.0f}s; the page shows:\n{self.shows()}{detail}")

    def replies(self):
        return [reply.text for reply in self.all(".reply")]

    def ask(self, text):
        """Types a request and sends it with Enter; returns how many replies and approval cards were there before."""
        before = len(self.all(".reply"))
        cards = len(self.all(".approval-card"))
        field = self.find("#chat-input")
        field.clear()
        field.send_keys(text)
        field.send_keys(Keys.ENTER)
        return before, cards


def screenshot(driver, env, name):
    path = os.path.join(env["artifacts"], name)
    driver.save_screenshot(path)
    print(f"     screenshot: {path}", flush=True)


def wait_for_download(directory, suffix, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        names = os.listdir(directory)
        done = [n for n in names if n.endswith(suffix) and not n.endswith(".crdownload")]
        if done and not any(n.endswith(".crdownload") for n in names):
            return os.path.join(directory, done[0])
        time.sleep(0.2)
    raise Failure(f"expected a downloaded *{suffix} file in {directory} within {timeout}s; it holds {os.listdir(directory)}")


def module_files(names):
    """The module's own files (names of files, not folders): without a leading ./ and without one wrapping folder."""
    paths = [n[2:] if n.startswith("./") else n for n in names]
    paths = [p for p in paths if p and p != "." and not p.endswith("/")]
    tops = {p.split("/", 1)[0] for p in paths}
    if len(tops) == 1 and all("/" in p for p in paths):
        paths = [p.split("/", 1)[1] for p in paths]
    return paths


def check_bucket(env):
    s3 = boto3.client("s3", endpoint_url=env["moto"], aws_access_key_id="testing",
                      aws_secret_access_key="testing", region_name="us-east-1")
    try:
        s3.head_bucket(Bucket=env["bucket"])
    except ClientError as error:
        names = [b["Name"] for b in s3.list_buckets().get("Buckets", [])]
        raise Failure(f"expected bucket {env['bucket']} to still exist in moto after declining; "
                      f"head_bucket said {error.response.get('Error', {}).get('Code')}; buckets now: {names}")


def run(env, driver, downloads):
    page = Page(driver)

    step(f"load the page at {env['url']}")
    driver.get(env["url"])
    page.wait(lambda: page.visible("#key") and page.visible("#login"), 15, "the API key field #key and #login")
    if "Nimbus" not in driver.title:
        raise Failure(f"expected the title to name Nimbus; it is {driver.title!r}")
    for selector in ["#chat-input", "#chat-send", "#messages", "#module-request", "#module-generate",
                     "#module-download-tar", "#module-download-zip", "#error", "#notice", "#profile", "#region",
                     "#history", "#runs"]:
        if not page.all(selector):
            raise Failure(f"expected an element {selector} on the page")
    ok("the sign-in box is shown")

    step("sign in with a wrong key")
    page.find("#key").send_keys("nmb_this_key_is_wrong")
    page.find("#login").click()
    page.wait(lambda: page.visible("#error") and page.text("#error-message"), 15, "an error in #error")
    message = page.text("#error-message")
    if message.startswith("The server answered") or message.startswith("The Nimbus server could not"):
        raise Failure(f"expected the server's error message in words (docs/server.md Errors); the page shows {message!r}")
    if page.visible("#app-view") or not page.visible("#key"):
        raise Failure("expected to stay on the sign-in box after a wrong key")
    if page.find("#error").get_attribute("role") != "alert":
        raise Failure("expected #error to be an alert region (role=alert)")
    ok(f"the error reads {page.text('#error')!r}")
    screenshot(driver, env, "login.png")

    step("sign in with the real key")
    field = page.find("#key")
    field.clear()
    field.send_keys(env["key"])
    field.send_keys(Keys.ENTER)
    page.wait(lambda: page.visible("#chat-input"), 15, "the chat after signing in")
    if page.visible("#error"):
        raise Failure(f"expected no error after signing in; the page shows {page.text('#error')!r}")
    state = page.wait(lambda: page.find("#connection").get_attribute("data-state") in ("live", "http")
                      and page.find("#connection").get_attribute("data-state"), 10, "the connection to settle")
    if state != "live":
        raise Failure(f"expected the chat WebSocket /v1/chat to be live; the page fell back to HTTP:\n{page.shows()}")
    ok(f"signed in as {page.text('#who')!r}, chat WebSocket live")

    step("the profile and region pickers are filled")
    profiles = [o.get_attribute("value") for o in Select(page.find("#profile")).options]
    regions = [o.get_attribute("value") for o in Select(page.find("#region")).options]
    if "us-east-1" not in regions:
        raise Failure(f"expected us-east-1 among the regions of #region; it offers {regions}")
    notes = len(page.all("#messages .msg.system"))
    Select(page.find("#region")).select_by_value("us-east-1")
    page.wait(lambda: len(page.all("#messages .msg.system")) > notes
              and "us-east-1" in page.all("#messages .msg.system")[-1].text, 15,
              "the server's reply to `/region us-east-1` in the chat")
    ok(f"profiles {profiles}; the server says {page.all('#messages .msg.system')[-1].text!r}")

    step(f"ask “{LIST_REQUEST}” over the WebSocket")
    before, _ = page.ask(LIST_REQUEST)
    reply = page.wait(lambda: len(page.all(".reply")) > before and page.all(".reply")[-1].text, 90,
                      f"a reply to “{LIST_REQUEST}”")
    if env["bucket"] not in reply:
        raise Failure(f"expected {env['bucket']} in the reply; it reads:\n{reply}")
    ok(f"the reply names {env['bucket']}: {reply.splitlines()[0]!r}")

    step(f"ask to delete bucket {env['bucket']}, which needs approval")
    before, cards = page.ask(f"delete bucket {env['bucket']}")
    page.wait(lambda: len(page.all(".approval-card")) > cards, 90, "an approval card (.approval-card)")
    card = page.all(".approval-card")[-1]
    thread = card.get_attribute("data-thread")
    if not thread:
        raise Failure("expected the approval card to carry its run's thread in data-thread")
    if env["bucket"] not in card.text or "delete" not in card.text.lower():
        raise Failure(f"expected the approval card to name the deletion of {env['bucket']}; it reads:\n{card.text}")
    if not card.find_elements(By.CSS_SELECTOR, ".approve") or not card.find_elements(By.CSS_SELECTOR, ".decline"):
        raise Failure("expected Approve (.approve) and Decline (.decline) buttons on the card")
    ok(f"approval card for run {thread}: {card.text.splitlines()[1] if len(card.text.splitlines()) > 1 else card.text!r}")

    step("decline it")
    before = len(page.all(".reply"))
    card.find_element(By.CSS_SELECTOR, ".decline").click()
    reply = page.wait(lambda: len(page.all(".reply")) > before and page.all(".reply")[-1].text, 60,
                      "a reply after declining")
    if "declin" not in reply.lower():
        raise Failure(f"expected the reply to say the deletion was declined; it reads:\n{reply}")
    if card.find_element(By.CSS_SELECTOR, ".approve").is_enabled():
        raise Failure("expected the card's buttons to be disabled once answered")
    ok(f"the reply reads {reply.splitlines()[0]!r}")

    step(f"bucket {env['bucket']} still exists in moto")
    check_bucket(env)
    ok("head_bucket succeeds")

    step("history and runs show the requests")
    page.wait(lambda: LIST_REQUEST in page.text("#history"), 20, f"“{LIST_REQUEST}” in #history")
    page.wait(lambda: len(page.all("#runs li.row")) >= 2, 20, "at least two runs in #runs")
    ok(f"{len(page.all('#history li.row'))} history entries, {len(page.all('#runs li.row'))} runs")
    screenshot(driver, env, "page.png")

    step(f"generate the module “{MODULE_REQUEST}”")
    page.find("#tab-modules").click()
    page.wait(lambda: page.visible("#module-request"), 5, "the module form")
    field = page.find("#module-request")
    field.clear()
    field.send_keys(MODULE_REQUEST)
    page.find("#module-generate").click()
    page.wait(lambda: page.visible("#module-download-tar") or page.visible("#error")
              or page.visible("#module-questions"), 120, "the generated module with its download buttons")
    if not page.visible("#module-download-tar"):
        raise Failure(f"expected a finished module with downloads:\n{page.shows()}")
    page.wait(lambda: "main.tf" in page.text("#module-files"), 20, "main.tf in the files list #module-files")
    ok(f"{page.text('#module-title')!r}: {len(page.all('#module-files li'))} files")

    step("download the module as .tar.gz")
    page.find("#module-download-tar").click()
    archive = wait_for_download(downloads, ".tar.gz")
    try:
        with tarfile.open(archive, "r:gz") as tar:
            names = module_files([member.name for member in tar.getmembers() if member.isfile()])
    except tarfile.TarError as error:
        raise Failure(f"expected {archive} to be a valid tar.gz; tarfile says {error}")
    if "main.tf" not in names:
        raise Failure(f"expected main.tf in {os.path.basename(archive)}; it holds {names}")
    ok(f"{os.path.basename(archive)} holds {len(names)} files, main.tf among them")

    step("download the module as .zip")
    page.find("#module-download-zip").click()
    archive = wait_for_download(downloads, ".zip")
    try:
        with zipfile.ZipFile(archive) as bundle:
            names = module_files([info.filename for info in bundle.infolist() if not info.is_dir()])
    except zipfile.BadZipFile as error:
        raise Failure(f"expected {archive} to be a valid zip; zipfile says {error}")
    if "main.tf" not in names:
        raise Failure(f"expected main.tf in {os.path.basename(archive)}; it holds {names}")
    ok(f"{os.path.basename(archive)} holds {len(names)} files")
    screenshot(driver, env, "modules.png")

    step("reload with ?transport=http: the REST fallback")
    driver.get(urljoin(env["url"], "?transport=http"))
    page.wait(lambda: page.visible("#chat-input"), 15, "the chat, signed in from sessionStorage")
    page.wait(lambda: page.visible("#notice") and NOTICE in page.text("#notice"), 10, f"the notice “{NOTICE}”")
    ok(f"notice reads {page.text('#notice')!r}")

    step(f"ask “{LIST_REQUEST}” over HTTP (POST /v1/ask)")
    before, _ = page.ask(LIST_REQUEST)
    reply = page.wait(lambda: len(page.all(".reply")) > before and page.all(".reply")[-1].text, 90,
                      f"a reply to “{LIST_REQUEST}” over HTTP")
    if env["bucket"] not in reply:
        raise Failure(f"expected {env['bucket']} in the reply over HTTP; it reads:\n{reply}")
    ok(f"the reply names {env['bucket']}")
    screenshot(driver, env, "page-http.png")

    step("the page ran without script errors")
    # Failed requests (the wrong key's 401) are logged as SEVERE too; only the page's own exceptions and what the
    # server's Content-Security-Policy blocked count.
    errors = [entry["message"] for entry in driver.get_log("browser")
              if entry.get("level") == "SEVERE"
              and ("Uncaught" in entry.get("message", "") or "Content Security Policy" in entry.get("message", ""))]
    if errors:
        raise Failure("expected no script errors in the browser console; it logged:\n  " + "\n  ".join(errors))
    ok("no uncaught exceptions or Content-Security-Policy violations in the console")

    step("the page in a dark colour scheme")
    try:
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia",
                               {"features": [{"name": "prefers-color-scheme", "value": "dark"}]})
    except WebDriverException as error:
        print(f"     skipped: Chromium cannot emulate a colour scheme here ({error.msg})", flush=True)
        return
    background = driver.execute_script("return getComputedStyle(document.body).backgroundColor")
    if background in ("rgb(255, 255, 255)", "rgb(244, 246, 249)"):
        raise Failure(f"expected a dark background under prefers-color-scheme: dark; it is {background}")
    screenshot(driver, env, "page-dark.png")
    ok(f"background {background}")


def main():
    env = environment()
    downloads = tempfile.mkdtemp(prefix="nimbus-browser-downloads-")
    print(f"browser test against {env['url']} (bucket {env['bucket']}, artifacts in {env['artifacts']})", flush=True)
    try:
        driver = make_driver(env, downloads)
    except WebDriverException as error:
        print(f"FAILED: could not start headless Chromium with {env['chromedriver']}: {error.msg}", file=sys.stderr)
        return 1
    try:
        run(env, driver, downloads)
    except Failure as failure:
        print(f"FAILED at step {step.number}: {failure}", flush=True)
        try:
            screenshot(driver, env, "failure.png")
        except WebDriverException:
            pass
        return 1
    except Exception:  # an unexpected driver or network error: say where
        print(f"FAILED at step {step.number} with an unexpected error:", flush=True)
        traceback.print_exc()
        try:
            screenshot(driver, env, "failure.png")
        except WebDriverException:
            pass
        return 1
    finally:
        driver.quit()
        shutil.rmtree(downloads, ignore_errors=True)
    print(f"browser test passed: {step.number} steps", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
