"""The daemon's parts, each with one job and its edges passed in (see consultant.service):

* `intake`   — claim, fetch, analyse and queue one message (IMAP read side + ledger + pipeline);
* `dispatch` — send what the outbox holds (SMTP), with backoff and one log line per fault;
* `filing`   — flag, copy the reply to Sent and move the original, claimed like answering.

`consultant.service.Consultant` runs them in one pass; each is testable alone with fakes.
"""
