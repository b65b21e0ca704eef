import { Controller, Get, Logger, OnModuleInit, Param, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, UnavailableError } from '@app/common';
import { LineCodeParamDto } from '../queue/queue.dto';
import { Asset, findWebDir, loadAsset, PageTemplate } from './web-assets';

const ASSETS = ['app.js', 'app.css', 'altcha.js', 'altcha.css', 'altcha-pbkdf2.js'] as const;

/**
 * The waiting page, served by the gateway itself (no separate web server, no
 * CDN): `/` lists the lines, `/lines/{code}` is the event page, `/assets/*`
 * the script and style bundled at build time (scripts/build-web.mjs). Files are
 * read once at start and answered from memory with an ETag.
 */
@ApiExcludeController()
@Controller()
export class WebController implements OnModuleInit {
  private readonly logger = new Logger('Web');
  private index?: Asset;
  private line?: PageTemplate;
  private readonly assets = new Map<string, Asset>();

  onModuleInit(): void {
    const dir = findWebDir();
    if (!dir) {
      this.logger.warn(
        'the waiting page is not built (run npm run build): / and /lines/* answer 503',
      );
      return;
    }
    this.index = loadAsset(dir, 'index.html');
    this.line = new PageTemplate(loadAsset(dir, 'line.html').body.toString('utf8'));
    for (const name of ASSETS) this.assets.set(name, loadAsset(dir, name));
  }

  @Get()
  home(@Req() req: FastifyRequest, @Res() reply: FastifyReply): void {
    send(req, reply, this.index);
  }

  @Get('lines/:code')
  event(
    @Param() { code }: LineCodeParamDto,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): void {
    send(req, reply, this.line?.render(code));
  }

  @Get('assets/:name')
  asset(@Param('name') name: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply): void {
    const asset = this.assets.get(name);
    if (!asset && this.index) throw new DomainError(404, 'NOT_FOUND', `There is no asset ${name}`);
    send(req, reply, asset);
  }
}

function send(req: FastifyRequest, reply: FastifyReply, asset: Asset | undefined): void {
  if (!asset) throw new UnavailableError('The waiting page is not built on this server', 30);
  reply
    .header('Cache-Control', 'no-cache')
    .header('ETag', asset.etag)
    .header('X-Content-Type-Options', 'nosniff');
  if (asset.type.startsWith('text/html')) {
    reply
      .header(
        'Content-Security-Policy',
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; " +
          "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
      )
      .header('Referrer-Policy', 'same-origin');
  }
  if (req.headers['if-none-match'] === asset.etag) {
    void reply.status(304).send();
    return;
  }
  void reply.header('Content-Type', asset.type).send(asset.body);
}
