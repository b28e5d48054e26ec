// A small SMSC simulator for the SMPP gateway's tests (not our code: the npm package `smpp`).
//
// node server.js  -> prints "READY <port>" once it listens on 127.0.0.1 (port 0: any free port).
// Environment:
//   SMSC_LOG      file that gets one JSON line per event (bind, submit_sm as decoded here, receipt, query_sm)
//   SMSC_CONTROL  JSON file read at each submit_sm: {"actions": [...]}; the first action is taken and the
//                 rest written back. An action: {"do": "ok" | "fail" | "throttle" | "drop" | "hang" | "die", "status": n,
//                 "receipt": "DELIVRD" | "UNDELIV" | "REJECTD" | "EXPIRED" | null, "state": the state query_sm
//                 tells when no receipt is sent}. No action: ok + DELIVRD.
//   SMSC_SYSTEM_ID / SMSC_PASSWORD  the only credentials a bind is accepted with.
//   SMSC_QUERY    "0" answers query_sm with generic_nack (an SMSC without query_sm).
'use strict';
const fs = require('fs');
const smpp = require('smpp');

const logFile = process.env.SMSC_LOG || '';
const controlFile = process.env.SMSC_CONTROL || '';
const systemId = process.env.SMSC_SYSTEM_ID || 'safetyops';
const password = process.env.SMSC_PASSWORD || 'secret';
const STATES = {DELIVRD: 2, EXPIRED: 3, DELETED: 4, UNDELIV: 5, ACCEPTD: 6, UNKNOWN: 7, REJECTD: 8};

let nextId = 1000;
const messages = {};  // message_id -> {state, dest}
const sessions = new Set();

function log(event) {
  if (logFile) fs.appendFileSync(logFile, JSON.stringify(Object.assign({at: Date.now()}, event)) + '\n');
}

function nextAction() {
  if (!controlFile || !fs.existsSync(controlFile)) return {do: 'ok', receipt: 'DELIVRD'};
  const plan = JSON.parse(fs.readFileSync(controlFile, 'utf8') || '{}');
  const actions = plan.actions || [];
  const action = actions.shift() || {do: 'ok', receipt: 'DELIVRD'};
  fs.writeFileSync(controlFile + '.tmp', JSON.stringify({actions}));
  fs.renameSync(controlFile + '.tmp', controlFile);
  return action;
}

function stamp(d) {
  const p = (n) => String(n).padStart(2, '0');
  return p(d.getUTCFullYear() % 100) + p(d.getUTCMonth() + 1) + p(d.getUTCDate()) + p(d.getUTCHours()) +
    p(d.getUTCMinutes());
}

function sendReceipt(session, id, pdu, stat) {
  const target = session.closed ? [...sessions][0] : session;
  if (!target) return;
  const now = new Date();
  const text = 'id:' + id + ' sub:001 dlvrd:' + (stat === 'DELIVRD' ? '001' : '000') + ' submit date:' +
    stamp(now) + ' done date:' + stamp(now) + ' stat:' + stat + ' err:' + (stat === 'DELIVRD' ? '000' : '001') +
    ' text:';
  messages[id].state = STATES[stat] || 7;
  target.deliver_sm({
    source_addr: pdu.destination_addr, source_addr_ton: pdu.dest_addr_ton, source_addr_npi: pdu.dest_addr_npi,
    destination_addr: pdu.source_addr, esm_class: 0x04, short_message: text,
    receipted_message_id: id, message_state: STATES[stat] || 7,
  }, (resp) => log({event: 'receipt_resp', id, stat, status: resp.command_status}));
  log({event: 'receipt', id, stat});
}

const server = smpp.createServer((session) => {
  session.bound = false;
  session.socket.setNoDelay(true);
  session.on('close', () => { session.closed = true; sessions.delete(session); });
  session.on('error', () => {});
  session.on('bind_transceiver', (pdu) => {
    const ok = pdu.system_id === systemId && pdu.password === password;
    log({event: 'bind', system_id: pdu.system_id, ok});
    if (!ok) {
      session.send(pdu.response({command_status: smpp.ESME_RINVPASWD}));
      session.close();
      return;
    }
    session.bound = true;
    sessions.add(session);
    session.send(pdu.response({system_id: 'simsc'}));
  });
  session.on('enquire_link', (pdu) => session.send(pdu.response()));
  session.on('unbind', (pdu) => { session.send(pdu.response()); session.close(); });
  session.on('submit_sm', (pdu) => {
    const sm = pdu.short_message || {};
    const body = Buffer.isBuffer(sm) ? {message: sm.toString('hex')} : sm;
    const action = nextAction();
    const entry = {
      event: 'submit_sm', action: action.do, destination_addr: pdu.destination_addr,
      dest_addr_ton: pdu.dest_addr_ton, source_addr: pdu.source_addr, source_addr_ton: pdu.source_addr_ton,
      data_coding: pdu.data_coding, esm_class: pdu.esm_class, registered_delivery: pdu.registered_delivery,
      udh: (body.udh || []).map((u) => Buffer.from(u).toString('hex')),
      message: typeof body.message === 'string' ? body.message : Buffer.from(body.message || []).toString('hex'),
    };
    if (action.do === 'hang') {  // took it, never answers, keeps the connection open
      log(Object.assign(entry, {message_id: null}));
      return;
    }
    if (action.do === 'die') {  // took it, and the SMSC process dies before answering
      log(Object.assign(entry, {message_id: null}));
      process.exit(1);
    }
    if (action.do === 'drop') {  // took it, never answers: the connection is gone
      log(Object.assign(entry, {message_id: null}));
      session.socket.destroy();
      return;
    }
    if (action.do === 'throttle' || action.do === 'fail') {
      const status = action.do === 'throttle' ? smpp.ESME_RTHROTTLED : (action.status || smpp.ESME_RINVDSTADR);
      log(Object.assign(entry, {message_id: null, status}));
      session.send(pdu.response({command_status: status}));
      return;
    }
    const id = 'sim' + (nextId++);
    messages[id] = {state: STATES[action.state] || 1, dest: pdu.destination_addr};
    log(Object.assign(entry, {message_id: id}));
    session.send(pdu.response({message_id: id}), null, () => {
      const stat = action.receipt === undefined ? 'DELIVRD' : action.receipt;
      if (stat && (pdu.registered_delivery & 0x03)) setImmediate(() => sendReceipt(session, id, pdu, stat));
    });
  });
  session.on('query_sm', (pdu) => {
    log({event: 'query_sm', message_id: pdu.message_id});
    if (process.env.SMSC_QUERY === '0') {
      session.send(new smpp.PDU('generic_nack', {sequence_number: pdu.sequence_number,
        command_status: smpp.ESME_RINVCMDID}));
      return;
    }
    const m = messages[pdu.message_id];
    if (!m) {
      session.send(pdu.response({command_status: smpp.ESME_RQUERYFAIL}));
      return;
    }
    session.send(pdu.response({message_id: pdu.message_id, final_date: '', message_state: m.state, error_code: 0}));
  });
});

server.listen(Number(process.env.SMSC_PORT || 0), '127.0.0.1', () => {
  process.stdout.write('READY ' + server.address().port + '\n');
});
process.on('SIGTERM', () => process.exit(0));
