import { Module } from '@nestjs/common';
import { WebController } from './web.controller';

/** The browser waiting room's pages (docs/waiting-page.md). */
@Module({ controllers: [WebController] })
export class WebModule {}
