/** Keywords a task may carry besides its module (Ansible's names). */
export const TASK_KEYWORDS = new Set([
  'name', 'when', 'register', 'loop', 'with_items', 'with_list', 'loop_control', 'changed_when', 'failed_when',
  'ignore_errors', 'ignore_unreachable', 'until', 'retries', 'delay', 'notify', 'tags', 'check_mode', 'diff',
  'run_once', 'delegate_to', 'no_log', 'become', 'become_user', 'become_method', 'vars', 'args', 'environment',
  'listen', 'any_errors_fatal', 'timeout',
]);

/** Keywords of a block (besides block/rescue/always). */
export const BLOCK_KEYWORDS = new Set([
  'name', 'when', 'tags', 'vars', 'become', 'become_user', 'check_mode', 'diff', 'no_log', 'ignore_errors',
  'ignore_unreachable', 'environment', 'delegate_to', 'run_once', 'any_errors_fatal', 'block', 'rescue', 'always',
  'notify',
]);

export const PLAY_KEYWORDS = new Set([
  'name', 'hosts', 'vars', 'vars_files', 'gather_facts', 'tasks', 'pre_tasks', 'post_tasks', 'handlers', 'serial',
  'any_errors_fatal', 'max_fail_percentage', 'tags', 'environment', 'become', 'become_user', 'become_method',
  'check_mode', 'diff', 'no_log', 'ignore_errors', 'ignore_unreachable', 'force_handlers', 'roles', 'connection',
  'strategy', 'order', 'remote_user', 'collections', 'import_playbook', 'run_once',
]);

const condition = { anyOf: [{ type: 'string' }, { type: 'boolean' }, { type: 'array', items: { anyOf: [{ type: 'string' }, { type: 'boolean' }] } }] };
const stringList = { anyOf: [{ type: 'string' }, { type: 'array', items: { type: ['string', 'number'] } }] };
const boolOrTemplate = { anyOf: [{ type: 'boolean' }, { type: 'string' }] };
const intOrTemplate = { anyOf: [{ type: 'integer', minimum: 0 }, { type: 'string' }] };
const varsMap = { type: 'object' };

/** ajv schema of the task keywords (the module key is checked separately). */
export const taskKeywordSchema = {
  type: 'object',
  properties: {
    name: { type: ['string', 'number'] },
    when: condition,
    changed_when: condition,
    failed_when: condition,
    until: condition,
    register: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
    loop: { anyOf: [{ type: 'array' }, { type: 'string' }] },
    with_items: { anyOf: [{ type: 'array' }, { type: 'string' }] },
    with_list: { anyOf: [{ type: 'array' }, { type: 'string' }] },
    loop_control: {
      type: 'object',
      properties: { label: { type: 'string' }, loop_var: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }, pause: { type: 'number' }, index_var: { type: 'string' } },
      additionalProperties: false,
    },
    ignore_errors: boolOrTemplate,
    ignore_unreachable: boolOrTemplate,
    retries: intOrTemplate,
    delay: { anyOf: [{ type: 'number', minimum: 0 }, { type: 'string' }] },
    notify: stringList,
    listen: stringList,
    tags: stringList,
    check_mode: boolOrTemplate,
    diff: boolOrTemplate,
    run_once: boolOrTemplate,
    delegate_to: { type: 'string' },
    no_log: boolOrTemplate,
    become: boolOrTemplate,
    become_user: { type: 'string' },
    become_method: { type: 'string', enum: ['sudo'] },
    vars: varsMap,
    args: { type: 'object' },
    environment: { type: 'object' },
    any_errors_fatal: boolOrTemplate,
    timeout: { type: 'integer', minimum: 0 },
  },
};

export const blockKeywordSchema = {
  type: 'object',
  properties: {
    ...taskKeywordSchema.properties,
    block: { type: 'array' },
    rescue: { type: 'array' },
    always: { type: 'array' },
  },
};

export const playKeywordSchema = {
  type: 'object',
  properties: {
    name: { type: ['string', 'number'] },
    hosts: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
    vars: varsMap,
    vars_files: stringList,
    gather_facts: boolOrTemplate,
    tasks: { type: ['array', 'null'] },
    pre_tasks: { type: ['array', 'null'] },
    post_tasks: { type: ['array', 'null'] },
    handlers: { type: ['array', 'null'] },
    serial: { anyOf: [{ type: 'integer', minimum: 1 }, { type: 'string' }, { type: 'array', items: { type: ['integer', 'string'] } }] },
    any_errors_fatal: boolOrTemplate,
    max_fail_percentage: { type: 'number', minimum: 0, maximum: 100 },
    tags: stringList,
    environment: { type: 'object' },
    become: boolOrTemplate,
    become_user: { type: 'string' },
    check_mode: boolOrTemplate,
    diff: boolOrTemplate,
    no_log: boolOrTemplate,
    ignore_errors: boolOrTemplate,
    force_handlers: boolOrTemplate,
    strategy: { type: 'string', enum: ['linear'] },
    run_once: boolOrTemplate,
  },
  required: ['hosts'],
};
