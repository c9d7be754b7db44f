import { en } from "zod/locales";
import * as z from "zod/mini";

/**
 * zod/mini loads no locale, so every issue would read just "Invalid input". Users see these messages, so the English
 * ones are configured once, by the modules that turn issues into messages (validation, config, orphans). `en` is
 * imported by name: `z.locales.en` would bundle every locale.
 */
z.config(en());
