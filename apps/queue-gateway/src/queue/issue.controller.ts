import { Body, Controller, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiGoneResponse,
  ApiHeader,
  ApiNotFoundResponse,
  ApiOperation,
  ApiResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnauthorizedResponse,
  LinkObject,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '@app/common';
import { Env } from '@app/config';
import { GatewayMetrics } from './gateway-metrics';
import {
  IssuedCouponDto,
  IssueRequestDto,
  LineCodeParamDto,
  PAYLOAD_TOO_LARGE_RESPONSE,
  URI_TOO_LONG_RESPONSE,
  WaitingResponseDto,
} from './queue.dto';
import { IdentityService } from '../identity/identity.service';
import { QueueService, waitingHeaders } from './queue.service';
import {
  fromBrowser,
  isFormNavigation,
  setTicketCookie,
  TICKET_HEADER,
  ticketFor,
} from './ticket-cookie';

export { TICKET_HEADER } from './ticket-cookie';

/** Where a waiting client goes next with the ticket of a 307 (OpenAPI links). */
const ticketLink = (operationId: string, description: string): LinkObject => ({
  operationId,
  description,
  parameters: { uuid: '$response.body#/uuid', 'header.X-Queue-Ticket': '$response.body#/ticket' },
});
const WAITING_LINKS: Record<string, LinkObject> = {
  poll: {
    operationId: 'IssueController_issue',
    description: 'Poll: the same request with the ticket',
    parameters: { code: '$request.path.code', 'header.X-Queue-Ticket': '$response.body#/ticket' },
    requestBody: '$request.body',
  },
  status: ticketLink('TicketsController_status', "The ticket's status"),
  events: ticketLink('TicketsController_stream', "The ticket's event stream"),
  heartbeat: ticketLink('TicketsController_heartbeat', 'A heartbeat'),
  cancel: ticketLink('TicketsController_cancel', 'Leave the line'),
};

@ApiTags('queue')
@Controller('api/coupons')
export class IssueController {
  constructor(
    private readonly queue: QueueService,
    private readonly metrics: GatewayMetrics,
    private readonly env: Env,
    private readonly identity: IdentityService,
  ) {}

  /** A first request takes a place: only for the user the caller is (IDENTITY_MODE). */
  private async join(
    code: string,
    userId: string,
    headers: FastifyRequest['headers'],
    altcha?: string,
  ) {
    return this.queue.enqueue(code, await this.identity.userOf(headers, userId), altcha);
  }

  /** A poll; with a cookie's ticket whose wait is over (see REJOIN_AFTER), a new place instead. */
  private async pollOrRejoin(
    ticket: string,
    code: string,
    userId: string,
    headers: FastifyRequest['headers'],
    altcha?: string,
  ): ReturnType<QueueService['poll']> {
    try {
      return await this.queue.poll(ticket, code, userId);
    } catch (error) {
      const fromCookie = headers[TICKET_HEADER] === undefined;
      if (!fromCookie || !(error instanceof DomainError) || !REJOIN_AFTER.has(error.code)) {
        throw error;
      }
      return this.join(code, userId, headers, altcha);
    }
  }

  @Post(':code/issue')
  @HttpCode(201)
  @ApiOperation({
    summary: 'Issue a coupon, through the waiting room',
    description:
      'Without X-Queue-Ticket: a ticket record is appended to Kafka and the answer is 307 with the place in line ' +
      '(no Location header, so fetch/XHR read it instead of following it). With the ticket: 307 with fresh numbers ' +
      "until admitted, then the coupon service's answer. Browsers (Sec-Fetch-Mode) also get the ticket as the " +
      'HttpOnly cookie wrt_{code}, which is read when the header is absent. An HTML form navigation gets ' +
      '303 to /lines/{code} instead of a 307.',
  })
  @ApiHeader({
    name: 'X-Queue-Ticket',
    required: false,
    description: 'The ticket from an earlier 307',
  })
  @ApiResponse({
    status: 307,
    type: WaitingResponseDto,
    description:
      'Waiting: poll again after pollAfterMs (Retry-After) with the X-Queue-Ticket header',
    headers: {
      'Retry-After': { description: 'Seconds until the next poll', schema: { type: 'integer' } },
      'X-Queue-Ticket': { description: 'The signed ticket', schema: { type: 'string' } },
    },
    links: WAITING_LINKS,
  })
  @ApiCreatedResponse({ type: IssuedCouponDto, description: 'Admitted and issued' })
  @ApiBadRequestResponse({ description: 'Invalid code or body' })
  @ApiResponse(PAYLOAD_TOO_LARGE_RESPONSE)
  @ApiResponse(URI_TOO_LONG_RESPONSE)
  @ApiUnauthorizedResponse({
    description:
      'TICKET_INVALID: forged, tampered or garbage ticket; IDENTITY_REQUIRED / IDENTITY_INVALID (IDENTITY_MODE=jwt): ' +
      'a first request without a valid bearer token of the protected site',
  })
  @ApiForbiddenResponse({
    description:
      "TICKET_MISMATCH: a genuine ticket of another user or coupon; IDENTITY_MISMATCH: the body's userId is not the token's user; " +
      'PROOF_OF_WORK_REQUIRED / PROOF_OF_WORK_INVALID: the line asks for a proof of work (missing, forged, expired, replayed, or for another line)',
  })
  @ApiNotFoundResponse({ description: 'UNKNOWN_COUPON' })
  @ApiConflictResponse({ description: 'ALREADY_ISSUED to this user' })
  @ApiGoneResponse({
    description:
      'SOLD_OUT, TICKET_CANCELLED, TICKET_ABANDONED, TICKET_SPENT, PASS_EXPIRED, LINE_CLOSED (no new places) or LINE_ENDED',
  })
  @ApiResponse({
    status: 303,
    description: 'HTML form navigation: see the event page /lines/{code} (ticket in the cookie)',
  })
  @ApiServiceUnavailableResponse({
    description: 'Kafka or the coupon service unavailable (Retry-After)',
  })
  async issue(
    @Param() { code }: LineCodeParamDto,
    @Body() { userId, altcha }: IssueRequestDto,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<WaitingResponseDto | IssuedCouponDto | undefined> {
    const ticket = ticketFor(req.headers, code);
    const kind = ticket ? 'poll' : 'enqueue';
    const end = this.metrics.requestDuration.startTimer({ kind });
    const navigation = isFormNavigation(req.headers);
    try {
      const result = ticket
        ? await this.pollOrRejoin(ticket, code, userId, req.headers, altcha)
        : await this.join(code, userId, req.headers, altcha);
      if (result.kind === 'waiting' && fromBrowser(req.headers)) {
        setTicketCookie(reply, this.env, code, result.body.ticket);
      }
      if (navigation) {
        seeTheLine(reply, code);
        return undefined;
      }
      if (result.kind === 'issued') return result.body;
      reply.status(307).headers(waitingHeaders(result.body));
      return result.body;
    } catch (error) {
      // A form navigation never sees a JSON error: the page shows the outcome.
      if (!navigation || !(error instanceof DomainError)) throw error;
      seeTheLine(reply, code, ticket ? undefined : error.code);
      return undefined;
    } finally {
      end();
    }
  }
}

/**
 * Outcomes of a cookie's ticket after which a browser's next "Get coupon" takes a
 * new place (the cookie is replaced): the old wait is over, or the cookie is not
 * this user's or not valid any more. An API client sending the header keeps the
 * plain answer (410, 403, 401).
 */
const REJOIN_AFTER = new Set([
  'TICKET_CANCELLED',
  'TICKET_ABANDONED',
  'PASS_EXPIRED',
  'TICKET_SPENT',
  'TICKET_LOST',
  'TICKET_MISMATCH',
  'TICKET_INVALID',
]);

/** 303 See Other to the line's event page (optionally naming why no place was taken). */
function seeTheLine(reply: FastifyReply, code: string, error?: string): void {
  const query = error ? `?error=${encodeURIComponent(error)}` : '';
  reply
    .status(303)
    .header('Location', `/lines/${code}${query}`)
    .header('Cache-Control', 'no-store');
}
