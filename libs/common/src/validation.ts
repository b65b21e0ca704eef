import { BadRequestException, ValidationError, ValidationPipe } from '@nestjs/common';

const describe = (errors: ValidationError[], parent = ''): string[] =>
  errors.flatMap((e) => {
    const path = parent ? `${parent}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {});
    return [
      ...own.map((m) => (m.startsWith(e.property) ? m : `${path}: ${m}`)),
      ...describe(e.children ?? [], path),
    ];
  });

/** The global pipe: whitelist DTOs, reject unknown fields, and name every field at fault. */
export const createValidationPipe = (): ValidationPipe =>
  new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    stopAtFirstError: false,
    exceptionFactory: (errors) =>
      new BadRequestException({ code: 'VALIDATION_FAILED', message: describe(errors) }),
  });
