# Gantry's recap callback: writes Ansible's per-host statistics (the PLAY RECAP) as JSON to the file named
# by GANTRY_ANSIBLE_RECAP, so gantry/ansible-playbook reads numbers rather than parsing printed text.
# An aggregate callback: it runs beside whatever stdout callback prints the log.
import json
import os

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "gantry_recap"
    CALLBACK_NEEDS_ENABLED = False

    def v2_playbook_on_stats(self, stats):
        target = os.environ.get("GANTRY_ANSIBLE_RECAP")
        if not target:
            return
        recap = {}
        for host in sorted(stats.processed.keys()):
            s = stats.summarize(host)
            recap[host] = {
                "ok": s.get("ok", 0),
                "changed": s.get("changed", 0),
                "unreachable": s.get("unreachable", 0),
                "failed": s.get("failures", 0),
                "skipped": s.get("skipped", 0),
                "rescued": s.get("rescued", 0),
                "ignored": s.get("ignored", 0),
            }
        with open(target, "w") as f:
            json.dump(recap, f)
