// Test-only: the container Worker (a copy of container/worker.mjs next to the installed package,
// made by container_queue_workerd.test.mjs) wrapped so that a test can see what the queues did.
// Miniflare drops messages sent to a queue nobody consumes, so this wrapper consumes the
// dead-letter queue itself and keeps what reached it (a real deployment leaves it to an operator),
// and it notes the size of each batch the events queue hands to the container.
import container from "./container-worker.mjs";

const deadLetters = []; // {body, attempts}: one isolate in Miniflare, so one list
const batches = []; // sizes of the events queue's batches, in order

export default {
  fetch(request, env, ctx) {
    if (new URL(request.url).pathname === "/__test/queues") return Response.json({ deadLetters, batches });
    return container.fetch(request, env, ctx);
  },

  async queue(batch, env, ctx) {
    if (batch.queue === env.DEAD_LETTER_QUEUE_NAME) {
      for (const msg of batch.messages) {
        deadLetters.push({ body: msg.body, attempts: msg.attempts });
        msg.ack();
      }
      return;
    }
    batches.push(batch.messages.length);
    await container.queue(batch, env, ctx);
  },
};
