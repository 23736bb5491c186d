// redis_node_peer.js: node with the `redis` package (v4) as a real peer of
// the message-queue demo, in article 004's words: it subscribes to the
// demo's ping channel on the private socket and prints each message as
// "Received message: ... from channel: ...", then PUBLISHes on my-channel
// for the demo's subscriber, prints what PUBLISH answered, and quits.
//
//   node redis_node_peer.js SOCK CHANNEL N
'use strict';
const { createClient } = require('redis');

async function main(path, channel, n) {
  const publisher = createClient({ socket: { path } });
  const subscriber = publisher.duplicate();
  await publisher.connect();
  await subscriber.connect();
  let got = 0;
  await new Promise((done) => {
    subscriber.subscribe(channel, (message, ch) => {
      console.log(`Received message: ${message} from channel: ${ch}`);
      if (++got === n) done();
    });
  });
  const count = await publisher.publish('my-channel', 'from node');
  console.log(`PUBLISH my-channel -> ${count}`);
  await subscriber.quit();
  await publisher.quit();
}

main(process.argv[2], process.argv[3], Number(process.argv[4] || 3)).catch((e) => {
  console.error(e.message);
  process.exit(1);
});
