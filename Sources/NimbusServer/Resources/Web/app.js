// The Nimbus web page: sign in with an API key, chat with the ops agent over the chat WebSocket (or plain HTTP
// when that cannot be opened), approve or decline what it plans, generate Terraform modules, and watch runs.
// Everything the server sends is shown as text: never through innerHTML.
"use strict";

(() => {
    const KEY_STORAGE = "nimbus.key";
    const PICKS_STORAGE = "nimbus.picks"; // the profile and region chosen in this tab
    const READY_TIMEOUT_MS = 5000;
    const RUNS_REFRESH_MS = 4000;
    const REGIONS = [
        "us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "ca-west-1", "sa-east-1",
        "mx-central-1", "eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1", "eu-central-2", "eu-north-1",
        "eu-south-1", "eu-south-2", "il-central-1", "me-south-1", "me-central-1", "af-south-1", "ap-east-1",
        "ap-south-1", "ap-south-2", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-southeast-1",
        "ap-southeast-2", "ap-southeast-3", "ap-southeast-4", "ap-southeast-5", "ap-southeast-7",
    ];

    // Runs are listed by what they are, in words: a product's name or the graph stored with the thread.
    const RUN_KINDS = {
        ops: "AWS request", "ops-ask": "AWS request",
        modules: "Terraform module", "terraform-module": "Terraform module",
        sample: "Sample review", "sample-report": "Sample review",
    };

    const $ = (id) => document.getElementById(id);
    const params = new URLSearchParams(location.search);

    const state = {
        key: null,
        me: null,
        transport: null, // "ws" or "http"
        forceHTTP: params.get("transport") === "http",
        ws: null,
        pending: [], // what the socket still owes an answer to, oldest first: {kind, entry}
        profile: "",
        region: "",
        runsTimer: null,
        lastRuns: "",
        lastHistory: "",
        module: null, // the module run shown: {threadId, result}
        asked: new Map(), // thread id → the request in words, from the history, to name runs by
    };

    // ---------------------------------------------------------------------------------------------------------
    // Small DOM helpers: elements are built with text content only.

    function el(tag, attributes, ...children) {
        const node = document.createElement(tag);
        for (const [name, value] of Object.entries(attributes || {})) {
            if (value === null || value === undefined || value === false) continue;
            if (name === "class") node.className = value;
            else if (name === "text") node.textContent = value;
            else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
            else if (name === "dataset") Object.assign(node.dataset, value);
            else node.setAttribute(name, value === true ? "" : String(value));
        }
        for (const child of children.flat()) {
            if (child === null || child === undefined || child === false) continue;
            node.append(child instanceof Node ? child : document.createTextNode(String(child)));
        }
        return node;
    }

    function shortID(id) {
        return id ? String(id).slice(-8) : "";
    }

    function ago(time) {
        const date = time ? new Date(time) : null;
        if (!date || isNaN(date)) return "";
        const seconds = Math.round((Date.now() - date.getTime()) / 1000);
        if (seconds < 5) return "just now";
        if (seconds < 60) return `${seconds}s ago`;
        if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
        if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ago`;
        return date.toLocaleDateString(undefined, { month: "short", day: "numeric" });
    }

    function statusClass(status) {
        const s = String(status || "").toLowerCase();
        if (["completed", "done", "succeeded", "ready", "ok"].includes(s)) return "good";
        if (["waiting", "awaiting_approval", "interrupted", "queued", "running", "planned", "pending"].includes(s))
            return "wait";
        if (["declined", "cancelled", "canceled", "skipped"].includes(s)) return "neutral";
        if (["failed", "refused", "error", "crashed"].includes(s)) return "bad";
        return "neutral";
    }

    function badge(status, extraClass) {
        const text = String(status || "unknown").replace(/_/g, " ");
        return el("span", { class: `badge ${statusClass(status)} ${extraClass || ""}`.trim(), text });
    }

    // ---------------------------------------------------------------------------------------------------------
    // Errors and notices.

    class APIError extends Error {
        constructor(error, status) {
            super((error && error.message) || "The request failed.");
            this.code = (error && error.code) || "unknown";
            // The server's errors carry a suggestion (docs/server.md) or, from a product, a hint.
            this.suggestion = (error && (error.suggestion || error.hint)) || "";
            this.status = status || 0;
        }
    }

    function describe(error) {
        if (error instanceof APIError) return error;
        return new APIError({ code: "page", message: String((error && error.message) || error) });
    }

    function showError(error, title) {
        const problem = describe(error);
        $("error-title").textContent = title || "Something went wrong";
        $("error-message").textContent = problem.message;
        $("error-suggestion").textContent = problem.suggestion;
        $("error-suggestion").hidden = !problem.suggestion;
        $("error").hidden = false;
    }

    function clearError() {
        $("error").hidden = true;
        $("error-message").textContent = "";
        $("error-suggestion").textContent = "";
    }

    function showNotice(text) {
        $("notice").textContent = text;
        $("notice").hidden = false;
    }

    // ---------------------------------------------------------------------------------------------------------
    // HTTP.

    async function api(method, path, body, options = {}) {
        const headers = { Authorization: `Bearer ${options.key || state.key}`, Accept: "application/json" };
        if (body !== undefined) headers["Content-Type"] = "application/json";
        let response;
        try {
            response = await fetch(path, {
                method,
                headers,
                body: body === undefined ? undefined : JSON.stringify(body),
                cache: "no-store",
            });
        } catch (cause) {
            throw new APIError({
                code: "page.unreachable",
                message: "The Nimbus server could not be reached.",
                suggestion: "Check that `nimbus serve` is still running, then try again.",
            });
        }
        if (!response.ok) {
            let error = null;
            try {
                error = (await response.json()).error;
            } catch (_) {
                // Not JSON: say what the status means below.
            }
            if (!error || !error.message) {
                error = {
                    code: `http.${response.status}`,
                    message: `The server answered ${response.status} ${response.statusText}`.trim() + ".",
                };
            }
            if (response.status === 429 && response.headers.get("Retry-After")) {
                error.suggestion = error.suggestion || `Try again in ${response.headers.get("Retry-After")} s.`;
            }
            throw new APIError(error, response.status);
        }
        if (options.raw) return response;
        const text = await response.text();
        return text ? JSON.parse(text) : null;
    }

    function listOf(json, ...names) {
        if (Array.isArray(json)) return json;
        for (const name of names) if (json && Array.isArray(json[name])) return json[name];
        return [];
    }

    // ---------------------------------------------------------------------------------------------------------
    // Signing in and out.

    async function signIn(key, quiet) {
        clearError();
        const button = $("login");
        button.disabled = true;
        button.textContent = "Checking…";
        try {
            state.me = await api("GET", "/v1/me", undefined, { key });
            state.key = key;
            sessionStorage.setItem(KEY_STORAGE, key);
            showApp();
        } catch (error) {
            sessionStorage.removeItem(KEY_STORAGE);
            state.key = null;
            showLogin();
            if (!quiet || !(error instanceof APIError && error.status === 401)) {
                showError(error, error.status === 401 ? "That key was not accepted" : "Could not sign in");
            }
            $("key").select();
        } finally {
            button.disabled = false;
            button.textContent = "Sign in";
        }
    }

    function showLogin() {
        $("app-view").hidden = true;
        $("session").hidden = true;
        $("login-view").hidden = false;
        $("key").focus();
    }

    function showApp() {
        $("login-view").hidden = true;
        $("app-view").hidden = false;
        $("session").hidden = false;
        $("key").value = "";
        const me = state.me || {};
        const name = me.name || (me.key && me.key.name) || "signed in";
        const readOnly = me.read_only || (me.key && me.key.read_only);
        $("who").replaceChildren(el("span", { class: "who-name", text: name }));
        if (readOnly) $("who").append(el("span", { class: "badge neutral", text: "read-only" }));
        loadProfiles();
        refreshHistory();
        startRunsPolling();
        connect();
        $("chat-input").focus();
    }

    function signOut() {
        sessionStorage.removeItem(KEY_STORAGE);
        sessionStorage.removeItem(PICKS_STORAGE);
        state.profile = state.region = "";
        closeSocket();
        stopRunsPolling();
        state.key = null;
        state.me = null;
        state.transport = null;
        state.module = null;
        state.lastRuns = state.lastHistory = "";
        $("messages").replaceChildren(emptyState);
        $("runs").replaceChildren();
        $("history").replaceChildren();
        $("module-result").hidden = true;
        $("notice").hidden = true;
        clearError();
        showLogin();
    }

    // ---------------------------------------------------------------------------------------------------------
    // Transport: the chat WebSocket, else HTTP.

    function setConnection(kind, text) {
        const pill = $("connection");
        pill.dataset.state = kind;
        pill.textContent = text;
    }

    async function connect() {
        if (state.forceHTTP) {
            useHTTP();
            return;
        }
        setConnection("connecting", "connecting…");
        const ok = await openSocket();
        if (!ok) useHTTP();
    }

    function useHTTP() {
        closeSocket();
        state.transport = "http";
        setConnection("http", "HTTP");
        showNotice("live connection unavailable; using HTTP");
    }

    function openSocket() {
        return new Promise((resolve) => {
            const url = `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}/v1/chat`;
            let socket;
            let settled = false;
            let timer = null;
            const settle = (ok) => {
                if (settled) return;
                settled = true;
                clearTimeout(timer);
                resolve(ok);
            };
            try {
                socket = new WebSocket(url);
            } catch (_) {
                settle(false);
                return;
            }
            timer = setTimeout(() => {
                if (settled) return;
                try {
                    socket.close();
                } catch (_) {
                    // Closing a socket that never opened.
                }
                settle(false);
            }, READY_TIMEOUT_MS);
            socket.addEventListener("open", () => {
                socket.send(JSON.stringify({ type: "auth", key: state.key }));
            });
            socket.addEventListener("message", (event) => {
                let message;
                try {
                    message = JSON.parse(event.data);
                } catch (_) {
                    return;
                }
                if (!settled) {
                    if (message.type === "ready") {
                        state.ws = socket;
                        state.transport = "ws";
                        setConnection("live", "live");
                        $("notice").hidden = true;
                        sessionReady(message.session || {});
                        settle(true);
                    } else if (message.type === "error") {
                        showError(message.error, "The live connection refused the key");
                        try {
                            socket.close();
                        } catch (_) {
                            // Already closing.
                        }
                        settle(false);
                    }
                    return;
                }
                if (socket === state.ws) handleSocketMessage(message);
            });
            socket.addEventListener("close", () => {
                if (!settled) {
                    settle(false);
                } else if (socket === state.ws) {
                    socketLost();
                }
            });
        });
    }

    function closeSocket() {
        const socket = state.ws;
        state.ws = null;
        state.pending = [];
        if (socket) {
            try {
                socket.close();
            } catch (_) {
                // Already closed.
            }
        }
    }

    function sendSocket(message) {
        if (!state.ws || state.ws.readyState !== WebSocket.OPEN) return false;
        state.ws.send(JSON.stringify(message));
        return true;
    }

    async function socketLost() {
        state.ws = null;
        const owed = state.pending.splice(0);
        for (const item of owed) {
            if (item.entry) {
                item.entry.fail(new APIError({
                    code: "page.connection_lost",
                    message: "The live connection closed before the reply came.",
                    suggestion: "The run may still finish: see Runs and History.",
                }));
            }
        }
        if (!state.key) return;
        setConnection("connecting", "reconnecting…");
        const ok = await openSocket();
        if (!ok && state.key) useHTTP();
    }

    // The session the server keeps for this socket; the pickers follow it, and a reconnect restores what was
    // picked before.
    function sessionReady(session) {
        const wanted = { profile: state.profile, region: state.region };
        const serverProfile = session.profile || "";
        const serverRegion = session.region || "";
        if (wanted.profile && wanted.profile !== serverProfile) sendCommand(`/profile ${wanted.profile}`, true);
        else setPicker("profile", serverProfile);
        if (wanted.region && wanted.region !== serverRegion) sendCommand(`/region ${wanted.region}`, true);
        else setPicker("region", serverRegion);
    }

    // The server reads a socket's messages one at a time and answers each with exactly one of outcome, reply,
    // error or queued (events stream before an outcome), so what arrives belongs to the oldest message owed.
    function handleSocketMessage(message) {
        switch (message.type) {
            case "event": {
                const item = state.pending[0];
                if (item && item.entry) item.entry.addEvent(message.event || {});
                break;
            }
            case "outcome": {
                const item = state.pending.shift();
                const entry = item && item.entry ? item.entry : newReply();
                entry.resolve(message.result || {});
                runFinished();
                break;
            }
            case "reply": {
                const item = state.pending.shift();
                if (message.session) followSession(message.session);
                if (item && item.entry) item.entry.note(message.text || "");
                else if (!item || !item.silent) addSystemNote(message.text || "");
                break;
            }
            case "queued": {
                const item = state.pending.shift();
                const entry = item && item.entry ? item.entry : newReply();
                entry.fail({
                    message: `The run ${message.thread_id || ""} is ${message.state || "queued"}; it did not finish here.`,
                    suggestion: "Runs shows how it goes on.",
                });
                runFinished();
                break;
            }
            case "error": {
                const item = state.pending.shift();
                if (item && item.entry) item.entry.fail(message.error || {});
                else showError(message.error || {});
                break;
            }
            case "ping":
                sendSocket({ type: "pong" });
                break;
            default:
                break; // pong, ready again: nothing to show
        }
    }

    // A command's reply says where the session stands now.
    function followSession(session) {
        if ("profile" in session) setPicker("profile", session.profile || "");
        if ("region" in session) setPicker("region", session.region || "");
    }

    // ---------------------------------------------------------------------------------------------------------
    // The conversation.

    const emptyState = $("messages-empty");

    function scrollMessages() {
        const box = $("messages");
        box.scrollTop = box.scrollHeight;
    }

    // A long reply is read from its start: scroll it to the top of the conversation, or to the end when it fits.
    function scrollToReply(node) {
        const box = $("messages");
        box.scrollTop = Math.min(node.offsetTop - 12, box.scrollHeight);
    }

    function clearEmpty() {
        if (emptyState.isConnected) emptyState.remove();
    }

    function addUserMessage(text) {
        clearEmpty();
        $("messages").append(el("div", { class: "msg user" }, el("div", { class: "bubble", text })));
        scrollMessages();
    }

    function addSystemNote(text) {
        clearEmpty();
        $("messages").append(el("div", { class: "msg system" }, el("pre", { class: "note", text })));
        scrollMessages();
    }

    // One answer from Nimbus as it arrives: progress events while pending, then the reply (and an approval card).
    function newReply(label) {
        clearEmpty();
        const status = el("span", { class: "pending-label" }, el("span", { class: "spinner", "aria-hidden": "true" }),
            label || "Working…");
        const events = el("ol", { class: "events", "aria-label": "Progress" });
        const body = el("div", { class: "reply-body" });
        const head = el("div", { class: "msg-head" }, el("span", { class: "who-label", text: "Nimbus" }), status);
        const node = el("div", { class: "msg assistant pending" }, head, events, body);
        $("messages").append(node);
        scrollMessages();
        let firstTime = null;
        let count = 0;

        function settle(badgeNode, threadID) {
            node.classList.remove("pending");
            status.replaceChildren(badgeNode);
            if (threadID) status.append(el("span", { class: "thread", title: threadID, text: `run ${shortID(threadID)}` }));
            if (count > 0) {
                // Keep the progress, folded.
                const folded = el("details", { class: "events-folded" },
                    el("summary", { text: `${count} progress ${count === 1 ? "event" : "events"}` }));
                events.replaceWith(folded);
                folded.append(events);
            } else {
                events.remove();
            }
        }

        return {
            node,
            progress(runState) {
                if (node.classList.contains("pending")) {
                    status.replaceChildren(el("span", { class: "spinner", "aria-hidden": "true" }),
                        runState === "queued" ? "Queued…" : "Working…");
                }
            },
            addEvent(event) {
                const time = event.time ? new Date(event.time).getTime() : Date.now();
                if (firstTime === null) firstTime = time;
                const seconds = ((time - firstTime) / 1000).toFixed(2);
                const words = event.message || String(event.type || "").replace(/_/g, " ")
                    + (event.status ? `: ${event.status}` : "");
                count += 1;
                events.append(el("li", {},
                    el("span", { class: "event-time", text: `+${seconds}s` }),
                    event.agent ? el("span", { class: "event-agent", text: event.agent }) : null,
                    el("span", { class: "event-text", text: words })));
                scrollMessages();
            },
            resolve(result) {
                const outcome = result.outcome || result;
                const threadID = result.thread_id || outcome.thread_id;
                const status = outcome.status || result.state;
                settle(badge(status), threadID);
                body.replaceChildren(...renderOutcome(result, threadID));
                scrollToReply(node);
            },
            fail(error) {
                const problem = error instanceof APIError ? error : new APIError(error);
                settle(badge("error"));
                body.replaceChildren(el("div", { class: "reply-error" },
                    el("pre", { class: "reply failed", text: problem.message }),
                    problem.suggestion ? el("p", { class: "muted small", text: problem.suggestion }) : null));
                scrollMessages();
            },
            note(text) {
                settle(el("span", { class: "muted small", text: "command" }));
                body.replaceChildren(el("pre", { class: "note", text }));
                scrollMessages();
            },
        };
    }

    function renderOutcome(result, threadID) {
        const outcome = result.outcome || result;
        const waiting = result.state === "waiting" || outcome.status === "awaiting_approval";
        const parts = [];
        if (typeof outcome.answer === "string" && outcome.answer.length > 0) {
            parts.push(el("pre", { class: `reply ${statusClass(outcome.status || result.state)}`, text: outcome.answer }));
        } else if (!waiting) {
            const error = outcome.error || result.error;
            const text = (error && (error.message || String(error))) || outcome.summary
                || `The run ended: ${String(outcome.status || result.state || "no answer").replace(/_/g, " ")}.`;
            parts.push(el("pre", { class: `reply ${statusClass(outcome.status || result.state)}`, text }));
            if (error && error.hint) parts.push(el("p", { class: "muted small", text: error.hint }));
        }
        if (Array.isArray(outcome.revealed) && outcome.revealed.length > 0) {
            parts.push(el("div", { class: "revealed" },
                el("p", { class: "small", text: "Secrets the steps returned, shown once and stored nowhere:" }),
                el("pre", { text: outcome.revealed.map((r) => `step ${r.step} ${r.path}: ${r.value}`).join("\n") })));
        }
        const steps = Array.isArray(outcome.steps) ? outcome.steps : [];
        if (steps.length > 0) parts.push(renderSteps(steps));
        if (waiting && outcome.approval) {
            parts.push(approvalCard(threadID, outcome));
        } else if (waiting) {
            const questions = result.questions || outcome.questions || [];
            if (questions.length > 0) parts.push(questionsCard(threadID, questions));
        }
        return parts;
    }

    function renderSteps(steps) {
        const list = el("ol", { class: "step-list" });
        for (const step of steps) {
            const detail = step.error || step.reason || step.hint;
            list.append(el("li", {},
                badge(step.status || step.decision),
                el("span", { class: "step-summary", text: step.summary || step.tool || `step ${step.number}` }),
                detail ? el("span", { class: "muted small step-detail", text: detail }) : null));
        }
        return el("details", { class: "steps-folded" },
            el("summary", { text: `${steps.length} ${steps.length === 1 ? "step" : "steps"}` }), list);
    }

    function approvalCard(threadID, outcome) {
        const approval = outcome.approval;
        const question = approval.question || {};
        const plan = Array.isArray(outcome.plan) ? outcome.plan : [];
        const steps = el("ol", { class: "approval-steps" });
        for (const reference of question.steps || []) {
            const step = typeof reference === "object" ? reference
                : plan.find((p) => p.number === reference) || { number: reference };
            const actions = Array.isArray(step.actions) ? step.actions.join(", ") : "";
            steps.append(el("li", {},
                el("span", { class: `access ${step.access || ""}`, text: step.access || "step" }),
                el("span", { class: "step-summary", text: step.summary || `step ${step.number}` }),
                actions ? el("code", { class: "actions", text: actions }) : null));
        }
        const approve = el("button", { type: "button", class: "approve primary", text: "Approve" });
        const decline = el("button", { type: "button", class: "decline secondary", text: "Decline" });
        const verdict = el("p", { class: "verdict", hidden: true });
        const card = el("div", {
            class: "approval-card", dataset: { thread: threadID || "", interrupt: approval.interrupt_id || "" },
            role: "group", "aria-label": "Approval needed",
        },
            el("div", { class: "approval-head" },
                el("span", { class: "approval-icon", "aria-hidden": "true", text: "!" }),
                el("h3", { text: "Approval needed" })),
            el("p", { class: "approval-question", text: question.question || "Run the steps that change something?" }),
            steps,
            question.summary ? el("details", { class: "plan-folded" },
                el("summary", { text: "The whole plan" }), el("pre", { text: question.summary })) : null,
            el("div", { class: "approval-actions" }, approve, decline),
            verdict);
        const answer = async (yes) => {
            approve.disabled = decline.disabled = true;
            card.dataset.answered = yes ? "approved" : "declined";
            verdict.hidden = false;
            verdict.textContent = yes ? "You approved. Running…" : "You declined.";
            const waitingBadge = card.closest(".msg")?.querySelector(".msg-head .badge");
            const answeredBadge = badge(yes ? "approved" : "declined");
            waitingBadge?.replaceWith(answeredBadge);
            const ok = await sendAnswers(threadID, { [approval.interrupt_id]: yes }, yes ? "Running…" : "Declining…");
            if (!ok) {
                if (waitingBadge) answeredBadge.replaceWith(waitingBadge);
                approve.disabled = decline.disabled = false;
                delete card.dataset.answered;
                verdict.hidden = true;
            }
        };
        approve.addEventListener("click", () => answer(true));
        decline.addEventListener("click", () => answer(false));
        setTimeout(() => approve.focus({ preventScroll: true }), 0);
        return card;
    }

    // Questions other than an approval (an ops run, or the chat showing a waiting run from the list).
    function questionsCard(threadID, questions) {
        const form = el("form", { class: "questions-card" });
        buildQuestionFields(form, questions, async (answers) => sendAnswers(threadID, answers, "Answering…"));
        return form;
    }

    async function sendAnswers(threadID, answers, label) {
        clearError();
        if (state.transport === "ws" && state.ws) {
            const entry = newReply(label);
            state.pending.push({ kind: "answer", entry });
            if (sendSocket({ type: "answer", thread_id: threadID, answers })) return true;
            state.pending.pop();
            entry.fail({ message: "The live connection is closed." });
            return false;
        }
        const entry = newReply(label);
        try {
            const result = await settled(
                await api("POST", `/v1/runs/${encodeURIComponent(threadID)}/answers`, { answers }), entry.progress);
            entry.resolve(result);
            runFinished();
            return true;
        } catch (error) {
            entry.node.remove();
            showError(error, "The answer was not taken");
            return false;
        }
    }

    function sendCommand(text, silent) {
        if (state.transport === "ws" && state.ws) {
            state.pending.push({ kind: "command", silent });
            if (!sendSocket({ type: "command", text })) state.pending.pop();
            return;
        }
        // Over HTTP the page keeps the profile and region and sends them with every request.
        const [name, ...rest] = text.split(" ");
        const argument = rest.join(" ").trim();
        if (name === "/profile" || name === "/region") {
            const which = name.slice(1);
            state[which] = argument;
            setPicker(which, argument);
            if (!silent) addSystemNote(`${which}: ${argument || "(default)"}`);
        } else if (!silent) {
            addSystemNote(`${name} needs the live connection; over HTTP only /profile and /region work.`);
        }
    }

    async function submitChat(text) {
        clearError();
        addUserMessage(text);
        if (text.startsWith("/")) {
            if (state.transport === "ws" && state.ws) {
                const entry = newReply("…");
                state.pending.push({ kind: "command", entry });
                if (!sendSocket({ type: "command", text })) {
                    state.pending.pop();
                    entry.fail({ message: "The live connection is closed." });
                }
                const [name, ...rest] = text.split(" ");
                if (name === "/profile" || name === "/region") {
                    const which = name.slice(1);
                    state[which] = rest.join(" ").trim();
                    setPicker(which, state[which]);
                }
            } else {
                sendCommand(text, false);
            }
            return;
        }
        if (state.transport === "ws" && state.ws) {
            const entry = newReply();
            state.pending.push({ kind: "message", entry });
            if (!sendSocket({ type: "message", text })) {
                state.pending.pop();
                entry.fail({ message: "The live connection is closed." });
            }
            return;
        }
        const entry = newReply();
        const body = { text };
        if (state.profile) body.profile = state.profile;
        if (state.region) body.region = state.region;
        try {
            const result = await settled(await api("POST", "/v1/ask", body), entry.progress);
            entry.resolve(result);
        } catch (error) {
            entry.fail(error);
            if (error.status === 401) signOut();
        }
        runFinished();
    }

    // A POST answered 202 (`{"thread_id", "state": "queued"}`): follow GET /v1/runs/{id} until the run ends or waits.
    async function settled(result, onProgress) {
        let current = result || {};
        let delay = 500;
        while (current && ["queued", "running"].includes(current.state) && current.thread_id && state.key) {
            if (onProgress) onProgress(current.state);
            await new Promise((resolve) => setTimeout(resolve, delay));
            delay = Math.min(delay * 1.5, 3000);
            const next = await api("GET", `/v1/runs/${encodeURIComponent(current.thread_id)}`);
            current = { ...(next || {}), thread_id: (next && next.thread_id) || current.thread_id };
        }
        return current;
    }

    function runFinished() {
        refreshHistory();
        refreshRuns();
    }

    // ---------------------------------------------------------------------------------------------------------
    // Profile and region.

    function setPicker(which, value) {
        const select = $(which);
        if (value && ![...select.options].some((o) => o.value === value)) {
            select.append(el("option", { value, text: value }));
        }
        select.value = value || "";
        state[which] = value || "";
        sessionStorage.setItem(PICKS_STORAGE, JSON.stringify({ profile: state.profile, region: state.region }));
    }

    async function loadProfiles() {
        const regions = new Set(REGIONS);
        try {
            const json = await api("GET", "/v1/profiles");
            const profiles = listOf(json, "profiles", "items");
            const select = $("profile");
            const chosen = state.profile;
            select.replaceChildren(el("option", { value: "", text: "default" }));
            for (const profile of profiles) {
                const name = typeof profile === "string" ? profile : profile.name;
                const region = typeof profile === "object" ? profile.region : null;
                if (region) regions.add(region);
                // "(environment)" stands for the server's own credentials: that is the default, not a name to pick.
                if (!name || name.startsWith("(")) continue;
                select.append(el("option", { value: name, text: region ? `${name} · ${region}` : name }));
            }
            setPicker("profile", chosen);
        } catch (error) {
            if (error.status === 401) return signOut();
            showError(error, "Could not list AWS profiles");
        }
        const regionSelect = $("region");
        const chosenRegion = state.region;
        regionSelect.replaceChildren(el("option", { value: "", text: "default" }),
            ...[...regions].map((r) => el("option", { value: r, text: r })));
        setPicker("region", chosenRegion);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Runs and history.

    function startRunsPolling() {
        stopRunsPolling();
        refreshRuns();
        state.runsTimer = setInterval(() => {
            if (document.visibilityState === "visible") refreshRuns();
        }, RUNS_REFRESH_MS);
    }

    function stopRunsPolling() {
        clearInterval(state.runsTimer);
        state.runsTimer = null;
    }

    async function refreshRuns() {
        if (!state.key) return;
        let runs;
        try {
            runs = listOf(await api("GET", "/v1/runs?limit=20"), "runs", "items");
        } catch (error) {
            if (error.status === 401) return signOut();
            $("runs-updated").textContent = "not updated";
            return;
        }
        $("runs-updated").textContent = `updated ${new Date().toLocaleTimeString()}`;
        const signature = JSON.stringify(runs) + state.asked.size;
        if (signature === state.lastRuns) return;
        state.lastRuns = signature;
        const list = $("runs");
        if (runs.length === 0) {
            list.replaceChildren(el("li", { class: "empty-row muted", text: "No runs yet." }));
            return;
        }
        list.replaceChildren(...runs.map((run) => {
            const id = run.thread_id || run.id;
            const status = run.status || run.state;
            const what = RUN_KINDS[run.product || run.graph] || run.product || run.graph || "run";
            const waiting = ["waiting", "interrupted", "paused", "awaiting_approval"].includes(String(status))
                || (typeof run.questions === "number" && run.questions > 0)
                || (Array.isArray(run.interrupts) && run.interrupts.length > 0);
            const words = run.request || run.text || state.asked.get(id);
            return el("li", { class: "row", title: `run ${id}`, dataset: { thread: id || "", status: status || "" } },
                el("span", { class: `dot ${statusClass(status)}`, "aria-hidden": "true" }),
                el("div", { class: "row-main" },
                    el("span", { class: "row-title", text: words || what, title: words || what }),
                    el("span", { class: "row-meta muted small" },
                        [String(status || "unknown").replace(/_/g, " "), words ? what : shortID(id),
                            ago(run.updated_at || run.updatedAt || run.created_at || run.createdAt)]
                            .filter(Boolean).join(" · "))),
                waiting && id ? el("button", {
                    type: "button", class: "ghost small", text: "Open",
                    "aria-label": `Open the waiting run ${shortID(id)}`, onclick: () => openRun(id),
                }) : null);
        }));
    }

    async function openRun(id) {
        clearError();
        try {
            const result = await api("GET", `/v1/runs/${encodeURIComponent(id)}`);
            if ((result && result.product) === "modules") {
                selectTab("modules");
                showModule(result);
                return;
            }
            selectTab("chat");
            addSystemNote(`run ${shortID(id)}`);
            newReply().resolve(result || {});
        } catch (error) {
            showError(error, "Could not open the run");
        }
    }

    async function refreshHistory() {
        if (!state.key) return;
        let entries;
        try {
            entries = listOf(await api("GET", "/v1/history?limit=20"), "requests", "history", "items", "entries");
        } catch (error) {
            if (error.status === 401) return signOut();
            return;
        }
        const signature = JSON.stringify(entries);
        if (signature === state.lastHistory) return;
        state.lastHistory = signature;
        for (const entry of entries) {
            const id = entry.id || entry.thread_id;
            if (id && (entry.request || entry.text)) state.asked.set(id, entry.request || entry.text);
        }
        const list = $("history");
        if (entries.length === 0) {
            list.replaceChildren(el("li", { class: "empty-row muted", text: "Nothing asked yet." }));
            return;
        }
        list.replaceChildren(...entries.map((entry) => {
            const request = entry.request || entry.text || "";
            const answer = entry.answer || entry.summary || "";
            const again = entry.product === "modules"
                ? () => { selectTab("modules"); $("module-request").value = request; $("module-request").focus(); }
                : () => { selectTab("chat"); $("chat-input").value = request; $("chat-input").focus(); };
            return el("li", { class: "row history-row", dataset: { thread: entry.id || entry.thread_id || "" } },
                el("span", { class: `dot ${statusClass(entry.status)}`, "aria-hidden": "true" }),
                el("div", { class: "row-main" },
                    el("span", { class: "row-title", text: request, title: request }),
                    el("span", { class: "row-meta muted small" },
                        [String(entry.status || "").replace(/_/g, " "), RUN_KINDS[entry.product] || entry.product,
                            ago(entry.created_at || entry.createdAt)].filter(Boolean).join(" · ")),
                    answer ? el("details", { class: "row-answer" },
                        el("summary", { text: "answer" }), el("pre", { text: answer })) : null),
                request ? el("button", {
                    type: "button", class: "ghost small", text: "Again",
                    "aria-label": `Put “${request}” in the input again`, onclick: again,
                }) : null);
        }));
    }

    // ---------------------------------------------------------------------------------------------------------
    // Modules.

    async function generateModule(text) {
        clearError();
        const button = $("module-generate");
        button.disabled = true;
        button.textContent = "Generating…";
        try {
            const result = await settled(await api("POST", "/v1/modules", { request: text }),
                (runState) => { button.textContent = runState === "queued" ? "Queued…" : "Generating…"; });
            await showModule(result);
        } catch (error) {
            showError(error, "The module was not generated");
            if (error.status === 401) signOut();
        } finally {
            button.disabled = false;
            button.textContent = "Generate";
            runFinished();
        }
    }

    async function showModule(result) {
        const outcome = result.outcome || result;
        const threadID = result.thread_id || outcome.thread_id;
        const runState = result.state || outcome.status;
        state.module = { threadId: threadID, result };
        $("module-result").hidden = false;
        const requirements = outcome.requirements || {};
        const family = requirements.family;
        $("module-title").textContent = !family ? `Module for “${outcome.request || $("module-request").value}”`
            : !requirements.name || requirements.name === family ? `Terraform module: ${family}`
                : `Terraform module: ${family} “${requirements.name}”`;
        $("module-state").replaceWith(Object.assign(badge(outcome.status || runState), { id: "module-state" }));
        const error = outcome.error || result.error;
        $("module-summary").textContent = outcome.summary
            || (error && (error.message || String(error)))
            || (runState === "waiting" ? "The generator needs a few answers first." : "");
        $("module-summary").hidden = !$("module-summary").textContent;

        const questions = result.questions || outcome.questions || [];
        const form = $("module-questions");
        const done = runState === "done" || runState === "completed";
        $("module-download-tar").hidden = $("module-download-zip").hidden = !done;
        if (runState === "waiting" && questions.length > 0) {
            form.hidden = false;
            buildQuestionFields(form, questions, async (answers) => {
                try {
                    const next = await settled(
                        await api("POST", `/v1/runs/${encodeURIComponent(threadID)}/answers`, { answers }));
                    await showModule(next);
                    runFinished();
                    return true;
                } catch (error) {
                    showError(error, "The answers were not taken");
                    return false;
                }
            });
            $("module-files-box").hidden = true;
            form.querySelector("input, select")?.focus();
            return;
        }
        form.hidden = true;
        form.replaceChildren();
        if (!done) {
            $("module-files-box").hidden = true;
            return;
        }
        try {
            const json = await api("GET", `/v1/modules/${encodeURIComponent(threadID)}/files`);
            showFiles(listOf(json, "files"));
        } catch (error) {
            $("module-files-box").hidden = true;
            showError(error, "Could not read the module's files");
        }
    }

    function showFiles(files) {
        const list = $("module-files");
        const view = $("module-file-view");
        $("module-files-box").hidden = files.length === 0;
        const sorted = [...files].sort((a, b) => {
            const depth = (p) => (p.match(/\//g) || []).length;
            return depth(a.path) - depth(b.path) || a.path.localeCompare(b.path);
        });
        const buttons = [];
        const choose = (file, button) => {
            for (const b of buttons) b.setAttribute("aria-current", "false");
            button.setAttribute("aria-current", "true");
            view.textContent = file.content || "";
            view.setAttribute("aria-label", `Content of ${file.path}`);
        };
        list.replaceChildren(...sorted.map((file) => {
            const lines = (file.content || "").split("\n").length;
            const button = el("button", { type: "button", class: "file", "aria-current": "false" },
                el("span", { class: "file-path", text: file.path }),
                el("span", { class: "muted small", text: `${lines} lines` }));
            button.addEventListener("click", () => choose(file, button));
            buttons.push(button);
            return el("li", {}, button);
        }));
        const first = sorted.findIndex((f) => f.path === "main.tf");
        if (sorted.length > 0) choose(sorted[Math.max(first, 0)], buttons[Math.max(first, 0)]);
    }

    async function download(format) {
        if (!state.module || !state.module.threadId) return;
        clearError();
        const id = state.module.threadId;
        const button = $(format === "zip" ? "module-download-zip" : "module-download-tar");
        button.disabled = true;
        try {
            const response = await api("GET",
                `/v1/modules/${encodeURIComponent(id)}/archive?format=${encodeURIComponent(format)}`, undefined,
                { raw: true });
            const blob = await response.blob();
            const disposition = response.headers.get("Content-Disposition") || "";
            const match = disposition.match(/filename\*?=(?:UTF-8'')?"?([^";]+)"?/i);
            const name = match ? decodeURIComponent(match[1]) : `nimbus-module-${shortID(id)}.${format}`;
            const url = URL.createObjectURL(blob);
            const link = el("a", { href: url, download: name, hidden: true });
            document.body.append(link);
            link.click();
            link.remove();
            setTimeout(() => URL.revokeObjectURL(url), 60000);
            button.dataset.downloaded = name;
        } catch (error) {
            showError(error, "The download failed");
        } finally {
            button.disabled = false;
        }
    }

    // Fields for a run's questions; onSubmit gets {interrupt id: value} and says whether they were taken.
    function buildQuestionFields(form, questions, onSubmit) {
        form.replaceChildren(el("h3", { text: questions.length === 1 ? "One question" : `${questions.length} questions` }));
        const readers = [];
        questions.forEach((question, index) => {
            const value = question.value || {};
            const accepts = question.accepts || {};
            const id = `question-${index}-${Math.random().toString(36).slice(2, 7)}`;
            const text = value.question || (typeof value === "string" ? value : "") || question.id;
            const choices = accepts.choices || value.choices;
            const kind = accepts.kind || value.kind;
            let field;
            let read;
            if (Array.isArray(choices) && choices.length > 0) {
                field = el("select", { id, name: question.id },
                    ...choices.map((choice) => el("option", { value: choice, text: choice })));
                read = () => field.value;
            } else if (kind === "yes_no" || kind === "approval") {
                field = el("select", { id, name: question.id },
                    el("option", { value: "yes", text: "yes" }), el("option", { value: "no", text: "no" }));
                read = () => field.value === "yes";
            } else {
                field = el("input", { id, name: question.id, type: "text", required: true, spellcheck: "false" });
                read = () => field.value.trim();
            }
            readers.push([question.id || value.key, read]);
            form.append(el("div", { class: "question" },
                el("label", { for: id, text }),
                value.key ? el("span", { class: "muted small", text: value.key }) : null,
                field));
        });
        const submit = el("button", { type: "submit", class: "primary", text: "Answer" });
        form.append(el("div", { class: "question-actions" }, submit));
        form.onsubmit = async (event) => {
            event.preventDefault();
            submit.disabled = true;
            const answers = Object.fromEntries(readers.map(([key, read]) => [key, read()]));
            const ok = await onSubmit(answers);
            if (form.isConnected) submit.disabled = ok && form.classList.contains("questions-card");
        };
    }

    // ---------------------------------------------------------------------------------------------------------
    // Tabs.

    function selectTab(name) {
        for (const tab of document.querySelectorAll('[role="tab"]')) {
            const selected = tab.id === `tab-${name}`;
            tab.setAttribute("aria-selected", String(selected));
            tab.tabIndex = selected ? 0 : -1;
            $(tab.getAttribute("aria-controls")).hidden = !selected;
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Wiring.

    function wire() {
        $("login-form").addEventListener("submit", (event) => {
            event.preventDefault();
            const key = $("key").value.trim();
            if (!key) {
                showError({ message: "Enter an API key first." }, "No key");
                $("key").focus();
                return;
            }
            signIn(key, false);
        });
        $("logout").addEventListener("click", signOut);
        $("error-close").addEventListener("click", clearError);
        $("chat-form").addEventListener("submit", (event) => {
            event.preventDefault();
            const text = $("chat-input").value.trim();
            if (!text) return;
            $("chat-input").value = "";
            submitChat(text);
        });
        for (const chip of document.querySelectorAll("[data-suggest]")) {
            chip.addEventListener("click", () => submitChat(chip.dataset.suggest));
        }
        $("module-form").addEventListener("submit", (event) => {
            event.preventDefault();
            const text = $("module-request").value.trim();
            if (!text) {
                $("module-request").focus();
                return;
            }
            generateModule(text);
        });
        $("module-download-tar").addEventListener("click", () => download("tar.gz"));
        $("module-download-zip").addEventListener("click", () => download("zip"));
        $("history-refresh").addEventListener("click", () => {
            state.lastHistory = "";
            refreshHistory();
        });
        $("profile").addEventListener("change", () => {
            const value = $("profile").value;
            state.profile = value;
            sendCommand(value ? `/profile ${value}` : "/profile", false);
        });
        $("region").addEventListener("change", () => {
            const value = $("region").value;
            state.region = value;
            sendCommand(value ? `/region ${value}` : "/region", false);
        });
        const tabs = [...document.querySelectorAll('[role="tab"]')];
        tabs.forEach((tab, index) => {
            tab.addEventListener("click", () => selectTab(tab.id.replace("tab-", "")));
            tab.addEventListener("keydown", (event) => {
                const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
                if (!step) return;
                const next = tabs[(index + step + tabs.length) % tabs.length];
                selectTab(next.id.replace("tab-", ""));
                next.focus();
                event.preventDefault();
            });
        });
        document.addEventListener("visibilitychange", () => {
            if (document.visibilityState === "visible" && state.key) refreshRuns();
        });
    }

    wire();
    try {
        const picks = JSON.parse(sessionStorage.getItem(PICKS_STORAGE) || "{}");
        state.profile = picks.profile || "";
        state.region = picks.region || "";
    } catch (_) {
        // Nothing picked yet.
    }
    const stored = sessionStorage.getItem(KEY_STORAGE);
    if (stored) signIn(stored, true);
    else showLogin();
})();
