import { Global, Module } from '@nestjs/common';
import { TicketSigner } from './ticket-signer';

@Global()
@Module({ providers: [TicketSigner], exports: [TicketSigner] })
export class TicketModule {}
