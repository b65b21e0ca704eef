export * from './ticket-signer';
export * from './ticket.module';
