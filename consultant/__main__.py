from consultant.cli import main

raise SystemExit(main())
