/**
 * A restricted unpickler: it understands the pickle opcodes that torch.save emits for a state
 * dict (protocol 2, plus the few protocol 3-5 additions that cost nothing) and nothing else.
 * It never imports or runs Python: GLOBAL names go to `findGlobal`, which returns a stand-in for
 * a whitelisted name and throws for any other, and only such stand-ins can be called by REDUCE.
 * Opcode numbers and semantics follow CPython's Lib/pickletools.py.
 */
import { CheckpointError } from './errors.js';

/** A Python dict (or OrderedDict); insertion-ordered like both. */
export class PickleDict extends Map<unknown, unknown> {
  /** State given by BUILD (an OrderedDict's `_metadata` in a state dict), kept but unused. */
  state: unknown;
}

/** A whitelisted Python callable that REDUCE may call, implemented in TypeScript. */
export class PickleCallable {
  constructor(
    readonly qualifiedName: string,
    readonly call: (args: readonly unknown[]) => unknown,
  ) {}
}

export interface UnpickleHooks {
  /** Returns a stand-in for `module.name`, or throws to refuse it. */
  findGlobal(module: string, name: string): unknown;
  /** Resolves a persistent id (BINPERSID), e.g. torch's ('storage', type, key, location, numel). */
  persistentLoad(pid: unknown): unknown;
}

/**
 * Unpickles `bytes`; `source` names the file in errors. Values: null, boolean, number, string,
 * Uint8Array (bytes), arrays (tuples are frozen arrays), PickleDict, and whatever the hooks return.
 */
export function unpickle(bytes: Uint8Array, source: string, hooks: UnpickleHooks): unknown {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  const stack: unknown[] = [];
  const marks: number[] = []; // stack heights at each open MARK
  const memo = new Map<number, unknown>();
  let pos = 0;

  const fail = (problem: string): never => {
    throw new CheckpointError(source, `${problem} (pickle offset ${pos})`, 'the checkpoint is corrupt or was not written by torch.save; re-save it or convert it to safetensors');
  };
  const need = (n: number): number => {
    if (n < 0 || pos + n > bytes.byteLength) fail('the pickle ends early');
    const at = pos;
    pos += n;
    return at;
  };
  const u8 = () => view.getUint8(need(1));
  const u16 = () => view.getUint16(need(2), true);
  const u32 = () => view.getUint32(need(4), true);
  const u64 = () => {
    const value = view.getBigUint64(need(8), true);
    if (value > BigInt(bytes.byteLength)) fail(`a length of ${value} bytes exceeds the pickle`);
    return Number(value);
  };
  const take = (n: number) => bytes.subarray(need(n), pos);
  const text = (n: number) => {
    try {
      return utf8.decode(take(n));
    } catch {
      return fail('a string is not valid UTF-8');
    }
  };
  const line = () => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) fail('a GLOBAL name is not terminated by a newline');
    const value = text(end - pos);
    pos += 1;
    return value;
  };
  const pop = (): unknown => {
    if (stack.length === 0 || (marks.length > 0 && stack.length <= marks[marks.length - 1]!)) fail('the pickle pops from an empty stack');
    return stack.pop();
  };
  const top = (): unknown => {
    if (stack.length === 0) fail('the pickle reads an empty stack');
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    const mark = marks.pop();
    if (mark === undefined) fail('the pickle closes a group it never opened (no MARK)');
    return stack.splice(mark!);
  };
  const tuple = (items: unknown[]) => Object.freeze(items);
  const dictAt = (value: unknown): PickleDict => (value instanceof PickleDict ? value : fail('SETITEM(S) on something that is not a dict'));
  const listAt = (value: unknown): unknown[] =>
    Array.isArray(value) && !Object.isFrozen(value) ? value : fail('APPEND(S) on something that is not a list');
  const setItems = (dict: PickleDict, items: unknown[]) => {
    if (items.length % 2 !== 0) fail('SETITEMS has an odd number of keys and values');
    for (let i = 0; i < items.length; i += 2) dict.set(items[i], items[i + 1]);
  };
  const memoGet = (index: number) => (memo.has(index) ? memo.get(index) : fail(`memo entry ${index} is read before it is written`));
  const integer = (raw: Uint8Array): number => {
    // LONG1/LONG4: little-endian two's complement of any length.
    let value = 0n;
    for (let i = raw.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(raw[i]!);
    if (raw.length > 0 && raw[raw.length - 1]! & 0x80) value -= 1n << BigInt(8 * raw.length);
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) fail(`the integer ${value} is too large`);
    return Number(value);
  };

  for (;;) {
    const opcodeAt = pos;
    const opcode = u8();
    switch (opcode) {
      case 0x80: { // PROTO
        const protocol = u8();
        if (protocol > 5) fail(`pickle protocol ${protocol} is newer than 5`);
        break;
      }
      case 0x95: // FRAME (protocol 4): a length prefix only; frames need no special handling.
        u64();
        break;
      case 0x2e: // STOP
        if (stack.length !== 1 || marks.length !== 0) fail('the pickle stops with a malformed stack');
        return stack[0];
      case 0x28: // MARK
        marks.push(stack.length);
        break;
      case 0x30: // POP
        pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x4a: // BININT
        stack.push(view.getInt32(need(4), true));
        break;
      case 0x8a: // LONG1
        stack.push(integer(take(u8())));
        break;
      case 0x8b: { // LONG4
        const n = u32();
        if (n > 8) fail(`a ${n}-byte integer is too large`);
        stack.push(integer(take(n)));
        break;
      }
      case 0x47: // BINFLOAT: big-endian IEEE double
        stack.push(view.getFloat64(need(8), false));
        break;
      case 0x58: // BINUNICODE
        stack.push(text(u32()));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(text(u8()));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(text(u64()));
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(take(u8()).slice());
        break;
      case 0x42: // BINBYTES
        stack.push(take(u32()).slice());
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push(tuple([]));
        break;
      case 0x85: // TUPLE1
        stack.push(tuple([pop()]));
        break;
      case 0x86: { // TUPLE2
        const b = pop();
        const a = pop();
        stack.push(tuple([a, b]));
        break;
      }
      case 0x87: { // TUPLE3
        const c = pop();
        const b = pop();
        const a = pop();
        stack.push(tuple([a, b, c]));
        break;
      }
      case 0x74: // TUPLE
        stack.push(tuple(popMark()));
        break;
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x6c: // LIST
        stack.push(popMark());
        break;
      case 0x61: { // APPEND
        const value = pop();
        listAt(top()).push(value);
        break;
      }
      case 0x65: { // APPENDS
        const items = popMark();
        const list = listAt(top());
        for (const item of items) list.push(item); // no spread: a long group would overflow the call stack
        break;
      }
      case 0x7d: // EMPTY_DICT
        stack.push(new PickleDict());
        break;
      case 0x64: { // DICT
        const dict = new PickleDict();
        setItems(dict, popMark());
        stack.push(dict);
        break;
      }
      case 0x73: { // SETITEM
        const value = pop();
        const key = pop();
        dictAt(top()).set(key, value);
        break;
      }
      case 0x75: { // SETITEMS
        const items = popMark();
        setItems(dictAt(top()), items);
        break;
      }
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x68: // BINGET
        stack.push(memoGet(u8()));
        break;
      case 0x6a: // LONG_BINGET
        stack.push(memoGet(u32()));
        break;
      case 0x63: { // GLOBAL: "module\nname\n"
        const module = line();
        const name = line();
        stack.push(hooks.findGlobal(module, name));
        break;
      }
      case 0x93: { // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL needs two strings');
        stack.push(hooks.findGlobal(module as string, name as string));
        break;
      }
      case 0x52: { // REDUCE: callable(*args)
        const args = pop();
        const callable = pop();
        if (!(callable instanceof PickleCallable)) fail('REDUCE calls something that is not a whitelisted function');
        if (!Array.isArray(args)) fail('REDUCE arguments are not a tuple');
        stack.push((callable as PickleCallable).call(args as unknown[]));
        break;
      }
      case 0x62: { // BUILD: obj.__setstate__(state)
        const state = pop();
        const target = top();
        if (!(target instanceof PickleDict)) fail('BUILD sets the state of something other than a dict');
        (target as PickleDict).state = state;
        break;
      }
      case 0x51: // BINPERSID
        stack.push(hooks.persistentLoad(pop()));
        break;
      default:
        pos = opcodeAt;
        fail(`unsupported pickle opcode 0x${opcode.toString(16).padStart(2, '0')} ('${String.fromCharCode(opcode)}'), which torch.save does not emit for a state dict`);
    }
  }
}
