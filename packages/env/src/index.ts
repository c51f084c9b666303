export {
  list,
  markedSecretValues,
  ms,
  optionalText,
  percentage,
  port,
  SECRET_NAME,
  SECRETS,
  type SecretKind,
  secret,
  secretKind,
  unmarkedSecretNames,
} from "./fields.ts";
