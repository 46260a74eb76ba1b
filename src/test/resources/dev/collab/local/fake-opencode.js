// Test stand-in for `opencode serve`: listens where told and answers every request with what it was started with.
// FAKE_CRASH=1 makes it exit at once (for the CrashLoopBackOff test).
const http = require('http');
const args = process.argv.slice(2);
if (process.env.FAKE_CRASH === '1') {
  console.log('fake opencode: crashing as asked');
  process.exit(3);
}
const arg = (name) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
const host = arg('--hostname');
const port = Number(arg('--port'));
// FAKE_HANDLER_DELAY_MS: like opencode 1.18.33, accept connections at once but attach the request handler only
// this much later; a request that arrives in between is read and never answered.
const handler = (req, res) => {
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({
    healthy: true, args, cwd: process.cwd(), home: process.env.HOME, tmpdir: process.env.TMPDIR,
    password: process.env.OPENCODE_SERVER_PASSWORD || null, pid: process.pid,
    inherited: Object.keys(process.env).filter((k) => k.startsWith('XDG_') || k.startsWith('FAKE_LEAK')),
  }));
};
const delay = Number(process.env.FAKE_HANDLER_DELAY_MS || 0);
const server = delay > 0 ? http.createServer() : http.createServer(handler);
if (delay > 0) setTimeout(() => server.on('request', handler), delay);
server.listen(port, host, () => console.log(`fake opencode listening on ${host}:${port}`));
process.on('SIGTERM', () => { console.log('fake opencode: SIGTERM'); server.close(); process.exit(0); });
