"""Evidence the gateway writes itself (issue 14, sections 5 and 6).

- ``checkpoints``: each day the heads of the AI systems' event chains are signed into the
  management system's sign-off chain, so that a pack's chain head covers the gateway's activity;
- ``figures``: calls, refusals, redactions, actions, approvers and approval latency of a period;
- ``records``: an evidence record per AI system and period, linked to the SoA rows it evidences;
- ``pack``: the pack section "Operational evidence from the gateway" and its extract of events,
  which ``aims-verify`` checks offline against the checkpoints in the bundle's ledger;
- ``metrics``: gateway figures measured into objectives' metrics;
- ``incidents``: the rule that drafts an incident from a burst of refused calls.
"""
