-- Reserved for a change in progress; replaced by its statements.
SELECT 1;
