export { httpHandler, type HandlerInput, type HttpHandler, type HttpHandlerOptions } from './handler';
export { reply, type HttpResponse } from './proxy';
export { forbidden, unauthorized, type User } from './auth';
export { AppError, badRequest, conflict, notFound, unavailable, validationFailed, type ErrorDetail } from './errors';
export type { HttpEvent, LambdaContext, ProxyResult } from './types';
