export { safeEqual } from "@switchyard/sources";
