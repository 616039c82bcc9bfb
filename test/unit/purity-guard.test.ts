import { exec, execFileSync, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { lookup } from 'node:dns';
import { resolve4 } from 'node:dns/promises';
import { createServer } from 'node:http';
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ImpureUnitTest } from './purity-guard.ts';

/** The unit run's setup file; imported here too, so this file checks the guard under any config. */
describe('a unit test that leaves the process fails loudly', () => {
  it('opening a TCP connection throws, naming the target', () => {
    expect(() => connect(5432, '127.0.0.1')).toThrow(ImpureUnitTest);
    expect(() => connect(5432, '127.0.0.1')).toThrow(/open a network connection to 127\.0\.0\.1:5432/);
  });

  it('listening on a port throws', () => {
    expect(() => createServer().listen(0, '127.0.0.1')).toThrow(/listen on 127\.0\.0\.1:0/);
  });

  it('fetch throws, naming the URL', () => {
    expect(() => fetch('http://127.0.0.1:8701/health')).toThrow(/fetch http:\/\/127\.0\.0\.1:8701\/health/);
  });

  it('resolving a host name throws', () => {
    expect(() => lookup('hospital.example', () => {})).toThrow(/resolve a host name \(lookup hospital\.example\)/);
    expect(() => resolve4('hospital.example')).toThrow(ImpureUnitTest);
  });

  it('UDP sockets throw', () => {
    expect(() => createSocket('udp4').bind(0)).toThrow(/bind a UDP socket/);
  });

  it('starting a child process throws, however it is started', () => {
    expect(() => spawn('node', ['--version'])).toThrow(/start a child process \(spawn node\)/);
    expect(() => exec('true')).toThrow(ImpureUnitTest);
    expect(() => execFileSync('true')).toThrow(ImpureUnitTest);
  });

  it('a database file throws; an in-memory database is pure and works', async () => {
    // Imported after the guard: node:sqlite's ES module view is not refreshed by syncBuiltinESMExports.
    const { DatabaseSync } = await import('node:sqlite');
    expect(() => new DatabaseSync('/tmp/unit.db')).toThrow(/open the database file \/tmp\/unit\.db/);
    const db = new DatabaseSync(':memory:');
    expect(db.prepare('select 1 + 1 as two').get()).toEqual({ two: 2 });
    db.close();
  });

  it('the message says where the test belongs instead', () => {
    expect(() => connect(1)).toThrow(/move this test out of the unit include list in vitest\.unit\.config\.ts/);
  });
});
