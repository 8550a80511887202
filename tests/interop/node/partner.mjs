// A Corridor partner in Node.js, written from the published documents only
// (schemas/published/asyncapi.yaml and signing-vectors.json): it authenticates to the
// partner listener (SASL_SSL, SCRAM-SHA-512), signs a displacement alert and publishes it.
//
// Configuration (environment):
//   PARTNER_BOOTSTRAP   host:port of the partner TLS listener (e.g. 127.0.0.1:9094)
//   PARTNER_CA_FILE     PEM of the CA the broker's certificate is signed by
//   PARTNER_ID          the partner's id (its Kafka user and its CloudEvents source)
//   PARTNER_PASSWORD    its SCRAM-SHA-512 password
//   PARTNER_SECRET      its signing secret
//   PARTNER_TOPIC       the topic to publish to (ingress.displacement-alerts.v1, maybe prefixed)
//   PARTNER_ALERT_FILE  the alert's data, a JSON file
//   PARTNER_VECTORS     optional: the signing vectors (default: schemas/published/...)
//
// `node partner.mjs --vectors-only` checks the signing vectors and exits.
// On success it prints one JSON line: {"id", "topic", "partition", "offset"}.

import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import canonicalize from 'canonicalize';
import { Kafka, logLevel } from 'kafkajs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const DEFAULT_VECTORS = path.join(HERE, '..', '..', '..', 'schemas', 'published', 'signing-vectors.json');
const ALERT_TYPE = 'org.corridor.displacement.alert.v1';

function fail(message) {
  console.error(`partner: ${message}`);
  process.exit(1);
}

function required(name) {
  const value = process.env[name];
  if (!value) fail(`${name} is not set`);
  return value;
}

// `time` as it is signed: UTC, milliseconds, `Z` (what toISOString() writes).
function signingTime(time) {
  if (time === undefined || time === null) return null;
  const moment = new Date(time);
  if (Number.isNaN(moment.getTime())) throw new Error(`not a time: ${time}`);
  return moment.toISOString();
}

// The RFC 8785 bytes of {data, id, source, subject, time, type}; subject and time null when absent.
export function signedBytes(event) {
  const envelope = {
    data: event.data,
    id: event.id,
    source: event.source,
    subject: event.subject ?? null,
    time: signingTime(event.time),
    type: event.type,
  };
  return Buffer.from(canonicalize(envelope), 'utf8');
}

export function sign(event, secret) {
  return crypto.createHmac('sha256', Buffer.from(secret, 'utf8')).update(signedBytes(event)).digest('hex');
}

function checkVectors(file) {
  const vectors = JSON.parse(fs.readFileSync(file, 'utf8'));
  if (!Array.isArray(vectors) || vectors.length === 0) fail(`no signing vectors in ${file}`);
  let failures = 0;
  vectors.forEach((vector, index) => {
    const bytes = signedBytes(vector.event).toString('utf8');
    const signature = sign(vector.event, vector.secret);
    if (bytes !== vector.signed_bytes) {
      failures += 1;
      console.error(`partner: vector ${index}: signed bytes differ\n  got      ${bytes}\n  expected ${vector.signed_bytes}`);
    }
    if (signature !== vector.signature) {
      failures += 1;
      console.error(`partner: vector ${index}: signature ${signature}, expected ${vector.signature}`);
    }
  });
  if (failures > 0) fail(`${failures} signing-vector check(s) failed; not publishing`);
  console.error(`partner: ${vectors.length} signing vectors agree`);
}

async function publish() {
  const bootstrap = required('PARTNER_BOOTSTRAP');
  const ca = required('PARTNER_CA_FILE');
  const partnerId = required('PARTNER_ID');
  const password = required('PARTNER_PASSWORD');
  const secret = required('PARTNER_SECRET');
  const topic = required('PARTNER_TOPIC');
  const data = JSON.parse(fs.readFileSync(required('PARTNER_ALERT_FILE'), 'utf8'));

  // A CloudEvent in structured mode, per the AsyncAPI document.
  const event = {
    specversion: '1.0',
    id: crypto.randomUUID(),
    source: `corridor:partner:${partnerId}`,
    type: ALERT_TYPE,
    time: new Date().toISOString(),
    datacontenttype: 'application/json',
    data,
  };
  event.corridorsig = sign(event, secret);

  const kafka = new Kafka({
    clientId: partnerId,
    brokers: bootstrap.split(','),
    ssl: { ca: [fs.readFileSync(ca)] },
    sasl: { mechanism: 'scram-sha-512', username: partnerId, password },
    connectionTimeout: 10000,
    requestTimeout: 20000,
    retry: { retries: 5 },
    logLevel: logLevel.WARN,
  });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    const [written] = await producer.send({
      topic,
      acks: -1,
      messages: [{
        key: event.id,
        value: JSON.stringify(event),
        headers: { 'content-type': 'application/cloudevents+json' },
      }],
    });
    console.log(JSON.stringify({
      id: event.id, topic, partition: written.partition, offset: written.baseOffset,
    }));
  } finally {
    await producer.disconnect();
  }
}

checkVectors(process.env.PARTNER_VECTORS || DEFAULT_VECTORS);
if (!process.argv.includes('--vectors-only')) {
  publish().catch((error) => fail(error.stack || String(error)));
}
