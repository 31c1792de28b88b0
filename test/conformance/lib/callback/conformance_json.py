# Stdout callback used only by record.sh: ansible.posix.json plus one fact the
# stock callback drops, whether a failure was ignored (ignore_errors), so the
# recording can tell "failed" from "failed but ignored".
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from functools import partial

from ansible_collections.ansible.posix.plugins.callback.json import CallbackModule as JsonCallback

DOCUMENTATION = '''
    name: conformance_json
    short_description: ansible.posix.json with an ignored-failure marker
    type: stdout
    extends_documentation_fragment: []
    options:
      show_custom_stats:
        default: False
        type: bool
      json_indent:
        default: 4
        env:
          - name: ANSIBLE_JSON_INDENT
        type: integer
'''


class CallbackModule(JsonCallback):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'stdout'
    CALLBACK_NAME = 'conformance_json'

    def __getattribute__(self, name):
        if name == 'v2_runner_on_failed':
            record = object.__getattribute__(self, '_record_task_result')

            def on_failed(result, ignore_errors=False):
                info = {'failed': True}
                if ignore_errors:
                    info['_conformance_ignored'] = True
                return record(info, result)
            return on_failed
        return JsonCallback.__getattribute__(self, name)
