import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import Redis from 'ioredis';
import { Env } from '@app/config';
import { REDIS } from '@app/redis';
import { TicketStatusDto } from './queue.dto';

/**
 * Cancellations made through one gateway, told to every gateway (Redis
 * pub/sub): a waiting poll is answered from memory, without a Redis read, so
 * each gateway must learn of a cancellation to answer "cancelled" at once, and
 * to end the ticket's event streams it holds. A message missed (a gateway
 * reconnecting) only delays the answer: the admitter skips the ticket by its
 * Redis state, and the poll past the head reads it.
 */
@Injectable()
export class CancellationBus implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Cancellations');
  private readonly channel: string;
  private subscriber?: Redis;
  /** Called for every cancellation, this gateway's own included. */
  onCancelled?: (status: TicketStatusDto) => void;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    env: Env,
  ) {
    // Channels are not prefixed by ioredis' keyPrefix: prefix by hand.
    this.channel = `${env.REDIS_KEY_PREFIX}cancellations`;
  }

  onModuleInit(): void {
    const subscriber = this.redis.duplicate();
    this.subscriber = subscriber;
    subscriber.on('message', (_channel: string, message: string) => {
      try {
        this.onCancelled?.(JSON.parse(message) as TicketStatusDto);
      } catch (error) {
        this.logger.warn(`bad cancellation message: ${(error as Error).message}`);
      }
    });
    subscriber.on('error', () => undefined); // reconnects by itself; the main client reports health
    subscriber.subscribe(this.channel).catch((error: Error) => {
      this.logger.warn(`cannot subscribe to cancellations yet: ${error.message}`);
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.subscriber?.quit().catch(() => this.subscriber?.disconnect());
  }

  /** Tells every gateway (this one too, through the subscription). */
  async publish(status: TicketStatusDto): Promise<void> {
    await this.redis.publish(this.channel, JSON.stringify(status));
  }
}
