"""Hand-written source sentences for the tokenizer parity corpus (see make_corpus.py).

Answers a candidate might give in a Korean or English CS interview, mixed Korean/English lines
with code identifiers, and short lines in other scripts. Plain data, no logic.
"""

KO_ANSWERS = [
    # Operating systems
    "프로세스는 실행 중인 프로그램의 인스턴스로, 독립된 주소 공간과 자원을 할당받습니다.",
    "스레드는 같은 프로세스 안에서 코드, 데이터, 힙 영역을 공유하고 스택과 레지스터만 따로 가집니다.",
    "컨텍스트 스위칭이 일어나면 현재 실행 중인 작업의 레지스터 상태를 PCB에 저장하고 다음 작업의 상태를 복원합니다.",
    "데드락은 상호 배제, 점유와 대기, 비선점, 순환 대기라는 네 가지 조건이 동시에 성립할 때 발생합니다.",
    "가상 메모리는 물리 메모리보다 큰 주소 공간을 제공하며, 페이지 테이블을 통해 가상 주소를 물리 주소로 변환합니다.",
    "페이지 폴트가 발생하면 운영체제는 디스크에서 해당 페이지를 읽어 와 빈 프레임에 적재합니다.",
    "LRU 교체 알고리즘은 가장 오랫동안 사용되지 않은 페이지를 먼저 내보내는 방식입니다.",
    "뮤텍스는 하나의 스레드만 임계 구역에 들어가도록 보장하고, 세마포어는 정해진 개수만큼 동시 접근을 허용합니다.",
    "선점형 스케줄링에서는 우선순위가 높은 작업이 도착하면 실행 중인 작업을 중단시킬 수 있습니다.",
    "시스템 콜은 사용자 모드에서 커널 모드로 전환하여 운영체제의 서비스를 요청하는 인터페이스입니다.",
    # Networks
    "TCP는 3-way handshake로 연결을 수립하고, 4-way handshake로 연결을 종료합니다.",
    "UDP는 연결 설정 없이 데이터그램을 보내기 때문에 지연이 적지만 신뢰성은 보장하지 않습니다.",
    "흐름 제어는 수신자의 처리 속도를 넘지 않도록 송신 속도를 조절하는 것이고, 혼잡 제어는 네트워크 전체의 혼잡을 피하기 위한 것입니다.",
    "브라우저 주소창에 URL을 입력하면 DNS 조회, TCP 연결, TLS 핸드셰이크, HTTP 요청 순서로 진행됩니다.",
    "HTTP/2는 하나의 연결에서 여러 스트림을 다중화하여 HOL 블로킹 문제를 애플리케이션 계층에서 완화했습니다.",
    "OSI 7계층은 물리, 데이터 링크, 네트워크, 전송, 세션, 표현, 응용 계층으로 구성됩니다.",
    "로드 밸런서는 L4에서는 IP와 포트 기준으로, L7에서는 URL이나 헤더 기준으로 트래픽을 분산합니다.",
    # Databases
    "인덱스는 B+ 트리 구조로 저장되어 범위 검색에 유리하지만, 쓰기 작업 시 추가 비용이 발생합니다.",
    "트랜잭션의 ACID는 원자성, 일관성, 격리성, 지속성을 의미합니다.",
    "격리 수준이 READ COMMITTED이면 Dirty Read는 막을 수 있지만 Non-Repeatable Read는 발생할 수 있습니다.",
    "정규화는 데이터 중복을 줄이고 이상 현상을 방지하기 위해 테이블을 분해하는 과정입니다.",
    "반정규화는 조회 성능을 높이기 위해 의도적으로 중복을 허용하는 설계입니다.",
    "옵티마이저는 실행 계획을 비교하여 비용이 가장 낮은 계획을 선택합니다.",
    "NoSQL 데이터베이스는 스키마가 유연하고 수평 확장이 쉽지만, 조인과 강한 일관성은 제한적인 경우가 많습니다.",
    "커버링 인덱스를 사용하면 테이블에 접근하지 않고 인덱스만으로 쿼리를 처리할 수 있습니다.",
    # Data structures
    "해시 테이블은 평균적으로 O(1) 시간에 삽입, 삭제, 검색이 가능하지만 충돌이 많으면 성능이 떨어집니다.",
    "충돌 해결 방법으로는 체이닝과 개방 주소법이 있으며, 개방 주소법에는 선형 탐사와 이중 해싱이 있습니다.",
    "배열은 인덱스로 임의 접근이 가능하지만, 연결 리스트는 중간 삽입과 삭제가 더 효율적입니다.",
    "힙은 완전 이진 트리 형태로, 최댓값이나 최솟값을 O(log n)에 꺼낼 수 있어 우선순위 큐 구현에 쓰입니다.",
    "레드-블랙 트리는 스스로 균형을 유지하는 이진 탐색 트리로, 최악의 경우에도 높이가 O(log n)입니다.",
    "트라이는 문자열 검색에 특화된 트리로, 자동 완성 기능에 자주 사용됩니다.",
    "스택은 LIFO, 큐는 FIFO 방식으로 동작합니다.",
    # Algorithms
    "퀵 정렬은 평균 O(n log n)이지만 피벗을 잘못 고르면 최악의 경우 O(n^2)이 됩니다.",
    "병합 정렬은 안정 정렬이며 항상 O(n log n)을 보장하지만 추가 메모리가 필요합니다.",
    "동적 프로그래밍은 겹치는 부분 문제와 최적 부분 구조가 있을 때 사용할 수 있습니다.",
    "다익스트라 알고리즘은 음의 가중치가 없는 그래프에서 최단 경로를 구하며, 힙을 쓰면 O(E log V)입니다.",
    "그리디 알고리즘은 매 단계에서 지역적으로 최적인 선택을 하지만 항상 전역 최적해를 보장하지는 않습니다.",
    "BFS는 큐를, DFS는 스택이나 재귀를 사용하여 그래프를 탐색합니다.",
    "이분 탐색은 정렬된 배열에서 탐색 범위를 절반씩 줄여 O(log n)에 값을 찾습니다.",
    "위상 정렬은 방향 비순환 그래프에서 선행 관계를 지키도록 정점을 나열하는 방법입니다.",
    # OOP
    "객체 지향의 네 가지 특징은 캡슐화, 상속, 다형성, 추상화입니다.",
    "SOLID 원칙 중 단일 책임 원칙은 하나의 클래스가 하나의 변경 이유만 가져야 한다는 뜻입니다.",
    "오버로딩은 같은 이름의 메서드를 매개변수만 다르게 정의하는 것이고, 오버라이딩은 상위 클래스의 메서드를 재정의하는 것입니다.",
    "인터페이스는 구현을 강제하는 계약이고, 추상 클래스는 공통 구현을 일부 제공할 수 있습니다.",
    "의존성 주입을 사용하면 객체 간 결합도를 낮추고 테스트하기 쉬운 구조를 만들 수 있습니다.",
    "상속보다 합성을 선호하라는 말은 변경에 유연한 구조를 만들기 위한 조언입니다.",
    # Security
    "SQL 인젝션은 사용자 입력을 쿼리에 그대로 이어 붙일 때 발생하며, Prepared Statement로 방지할 수 있습니다.",
    "XSS는 악성 스크립트가 다른 사용자의 브라우저에서 실행되는 공격이고, 출력 시 이스케이프 처리로 막습니다.",
    "CSRF는 인증된 사용자의 권한을 도용해 의도하지 않은 요청을 보내게 하는 공격입니다.",
    "비밀번호는 평문이 아니라 솔트를 더한 뒤 bcrypt나 Argon2 같은 느린 해시 함수로 저장해야 합니다.",
    "대칭키 암호화는 빠르지만 키 교환이 어렵고, 공개키 암호화는 키 교환 문제를 해결하지만 느립니다.",
    "HTTPS는 TLS를 통해 기밀성, 무결성, 서버 인증을 제공합니다.",
    # Web
    "REST API는 자원을 URI로 표현하고 HTTP 메서드로 행위를 나타냅니다.",
    "쿠키는 클라이언트에 저장되고 세션은 서버에 저장되며, 세션 ID만 쿠키로 주고받습니다.",
    "JWT는 서버가 상태를 저장하지 않아도 되지만, 토큰을 중간에 폐기하기 어렵다는 단점이 있습니다.",
    "CORS는 다른 출처의 리소스 요청을 브라우저가 허용할지 결정하는 정책입니다.",
    "CDN을 사용하면 사용자와 가까운 엣지 서버에서 정적 파일을 제공해 응답 시간을 줄일 수 있습니다.",
    # Distributed systems
    "CAP 정리에 따르면 네트워크 분할이 일어났을 때 일관성과 가용성 중 하나를 포기해야 합니다.",
    "샤딩은 데이터를 여러 노드에 나누어 저장해 쓰기 처리량을 수평으로 확장하는 방법입니다.",
    "Raft 합의 알고리즘은 리더 선출과 로그 복제를 통해 여러 노드가 같은 상태를 유지하도록 합니다.",
    "메시지 큐를 사용하면 서비스 간 결합을 줄이고 트래픽이 몰릴 때 완충 역할을 할 수 있습니다.",
    "최종 일관성은 시간이 지나면 모든 복제본이 같은 값으로 수렴한다는 것을 보장합니다.",
    "분산 트랜잭션에서 2단계 커밋은 코디네이터가 장애를 일으키면 참여자들이 블로킹될 수 있습니다.",
    "서킷 브레이커 패턴은 장애가 난 서비스로의 호출을 일시적으로 차단해 장애 전파를 막습니다.",
]

KO_OPENERS = [
    "좋은 질문입니다.", "네, 설명드리겠습니다.", "제가 이해한 바로는,", "간단히 말씀드리면",
    "실무 경험을 바탕으로 말씀드리면,", "예를 들어 설명하겠습니다.", "음… 정리해 보면",
    "첫째,", "둘째,", "마지막으로,", "결론적으로", "추가로 말씀드리면,",
]

EN_ANSWERS = [
    # Operating systems
    "A process is an instance of a running program with its own address space, while threads share the heap and code of their process.",
    "Context switching saves the CPU registers of the current task into its control block and restores those of the next one.",
    "A deadlock requires mutual exclusion, hold and wait, no preemption, and circular wait to hold at the same time.",
    "Virtual memory lets each process believe it owns a large contiguous address space; the MMU translates addresses through page tables.",
    "When a page fault occurs, the kernel loads the missing page from disk and may evict another page using a policy like LRU or CLOCK.",
    "A mutex allows only one owner at a time, whereas a counting semaphore permits up to N concurrent holders.",
    "Round-robin scheduling gives every runnable task a fixed time slice, which keeps latency predictable but adds switching overhead.",
    "System calls are the controlled entry points from user mode into kernel mode, for example read(), write() and fork().",
    "Copy-on-write lets fork() share pages between parent and child until one of them writes to a page.",
    "Thrashing happens when the working set no longer fits in memory and the system spends more time paging than doing useful work.",
    # Networks
    "TCP establishes a connection with a three-way handshake: SYN, SYN-ACK, and ACK.",
    "UDP doesn't guarantee delivery or ordering, so it's a good fit for DNS queries, video calls, and games where latency matters most.",
    "Flow control protects the receiver, while congestion control protects the network; TCP uses a sliding window for the first and slow start for the second.",
    "When you type a URL into the browser, it resolves the name via DNS, opens a TCP connection, performs a TLS handshake, and sends an HTTP request.",
    "HTTP/2 multiplexes many streams over a single connection, and HTTP/3 moves to QUIC over UDP to avoid head-of-line blocking at the transport layer.",
    "The TIME_WAIT state exists so that delayed segments from an old connection aren't mistaken for a new one.",
    "A layer-4 load balancer routes on IP and port, while a layer-7 one can route on paths, headers, or cookies.",
    # Databases
    "An index is usually a B+ tree; it speeds up lookups and range scans but makes inserts and updates more expensive.",
    "ACID stands for atomicity, consistency, isolation, and durability.",
    "Under READ COMMITTED you avoid dirty reads, but non-repeatable reads and phantom reads can still happen.",
    "Normalization removes redundancy and update anomalies; we sometimes denormalize on purpose to make hot read paths faster.",
    "I'd check the query plan with EXPLAIN first, look for full table scans, and then add a composite index that matches the WHERE clause.",
    "MVCC lets readers see a consistent snapshot without blocking writers by keeping multiple versions of each row.",
    "A covering index contains every column the query needs, so the engine never has to touch the base table.",
    "Write-ahead logging guarantees durability: the log record reaches stable storage before the data page does.",
    # Data structures
    "A hash table gives O(1) average-time lookups, but in the worst case every key collides and it degrades to O(n).",
    "Collisions are resolved either by chaining or by open addressing with linear probing, quadratic probing, or double hashing.",
    "Arrays give constant-time random access, whereas linked lists make insertion in the middle cheap once you have the node.",
    "A binary heap is a complete binary tree stored in an array; push and pop are O(log n), and peek is O(1).",
    "Red-black trees keep themselves balanced with rotations and recoloring, so the height stays within 2·log2(n+1).",
    "A trie stores strings character by character, which makes prefix queries and autocomplete very fast.",
    "An LRU cache can be built from a hash map plus a doubly linked list, giving O(1) get and put.",
    # Algorithms
    "Quicksort runs in O(n log n) on average, but a bad pivot choice leads to O(n^2) in the worst case.",
    "Merge sort is stable and always O(n log n), at the cost of O(n) extra memory.",
    "Dynamic programming applies when a problem has overlapping subproblems and optimal substructure.",
    "Dijkstra's algorithm finds shortest paths in graphs with non-negative weights in O((V + E) log V) using a binary heap.",
    "Greedy algorithms make the locally optimal choice at each step; they're correct only when the problem has the greedy-choice property.",
    "BFS uses a queue and finds the shortest path in an unweighted graph, while DFS uses a stack or recursion.",
    "Binary search halves the search interval each step, so it needs at most ⌈log₂(n+1)⌉ comparisons.",
    "Topological sort orders the vertices of a DAG so that every edge goes from an earlier vertex to a later one.",
    # OOP
    "The four pillars of OOP are encapsulation, inheritance, polymorphism, and abstraction.",
    "The Single Responsibility Principle says a class should have only one reason to change.",
    "Overloading means same name, different parameters; overriding means a subclass replaces a method of its parent.",
    "I prefer composition over inheritance because it keeps the coupling low and makes behavior easier to swap at runtime.",
    "Dependency injection hands an object its collaborators instead of letting it construct them, which makes unit tests much simpler.",
    "An interface defines a contract, and an abstract class can also share some common implementation.",
    # Security
    "SQL injection happens when user input is concatenated into a query; parameterized queries prevent it.",
    "Cross-site scripting is mitigated by escaping output, using a Content-Security-Policy, and marking cookies HttpOnly.",
    "CSRF tricks an authenticated user's browser into sending a request; SameSite cookies and anti-CSRF tokens stop it.",
    "Passwords should be hashed with a slow, salted function such as bcrypt, scrypt, or Argon2id — never stored in plain text.",
    "Symmetric encryption is fast but needs a shared key; asymmetric encryption solves key exchange but is much slower.",
    "TLS gives you confidentiality, integrity, and server authentication, and with mTLS the client is authenticated too.",
    # Web
    "REST models resources as URIs and uses HTTP verbs like GET, POST, PUT, PATCH, and DELETE for actions.",
    "Cookies live on the client; a session lives on the server, and only the session ID travels in the cookie.",
    "A JWT is stateless, which scales well, but revoking a token before it expires is hard.",
    "CORS is enforced by the browser: the server has to answer the preflight OPTIONS request with the right Access-Control-Allow-* headers.",
    "Putting static assets behind a CDN cuts latency because users are served from the nearest edge location.",
    # Distributed systems
    "The CAP theorem says that during a network partition you must choose between consistency and availability.",
    "Sharding splits data across nodes by a key so that writes scale horizontally, but cross-shard queries get harder.",
    "Raft elects a leader, and the leader replicates its log to followers; an entry is committed once a majority has it.",
    "A message queue decouples producers from consumers and absorbs traffic spikes.",
    "Eventual consistency only promises that replicas converge if no new updates arrive.",
    "Two-phase commit can block if the coordinator crashes after participants have voted yes.",
    "Idempotency keys let clients retry safely, because the server recognizes a request it has already processed.",
    "A circuit breaker stops calling a failing dependency for a while so the failure doesn't cascade.",
]

EN_OPENERS = [
    "Sure.", "Great question.", "Let me walk you through it.", "In short,", "From my experience,",
    "To be honest, I'd start with the basics.", "Okay, so", "First,", "Second,", "Finally,",
    "In practice,", "One more thing:", "Well —", "Right, so basically",
]

MIXED = [
    "`HashMap`의 `get()`은 평균 O(1)이지만, 해시 충돌이 심하면 Java 8부터는 버킷이 Red-Black Tree로 바뀝니다.",
    "`std::vector`는 `push_back` 시 capacity가 부족하면 보통 1.5배나 2배로 재할당합니다.",
    "Python의 GIL 때문에 CPU-bound 작업은 `multiprocessing`을 쓰는 게 낫고, I/O-bound 작업은 `asyncio`로 충분합니다.",
    "React에서 `useEffect`의 dependency array를 비워 두면 mount 시 한 번만 실행됩니다.",
    "Spring의 `@Transactional`은 프록시 기반이라 같은 클래스 내부 호출에는 적용되지 않습니다.",
    "Kubernetes에서 Pod가 `CrashLoopBackOff` 상태면 `kubectl logs --previous`로 이전 로그를 확인합니다.",
    "Redis는 single-threaded event loop로 동작하고, `EXPIRE`로 TTL을 설정할 수 있습니다.",
    "`SELECT * FROM users WHERE id = ?` 같은 prepared statement를 쓰면 SQL injection을 막을 수 있습니다.",
    "Git에서 `rebase`는 커밋 히스토리를 깔끔하게 만들지만, 이미 push한 브랜치에는 `force-push`가 필요합니다.",
    "C++의 `std::unique_ptr`은 소유권이 하나뿐이고, `std::shared_ptr`은 reference count로 관리됩니다.",
    "`async/await`는 내부적으로 Promise 체인을 문법적으로 감싼 것입니다.",
    "Docker image는 layer 단위로 캐시되므로 `COPY requirements.txt`를 먼저 하고 `pip install`을 돌리는 게 좋습니다.",
    "`volatile` 키워드는 가시성은 보장하지만 `count++` 같은 복합 연산의 원자성은 보장하지 않습니다.",
    "JPA의 N+1 문제는 `fetch join`이나 `@EntityGraph`로 해결할 수 있습니다.",
    "`O(n log n)` 정렬 알고리즘 중에서 `std::sort`는 introsort를 사용합니다.",
    "`epoll`은 `select`와 달리 fd 개수에 비례해서 느려지지 않습니다.",
    "Kafka의 partition 수를 늘리면 consumer group의 병렬성은 올라가지만 순서는 partition 안에서만 보장됩니다.",
    "`malloc()`으로 할당한 메모리는 반드시 `free()`로 해제해야 memory leak이 생기지 않습니다.",
    "TypeScript의 `interface`와 `type`은 대부분 비슷하지만 declaration merging은 `interface`만 됩니다.",
    "Nginx를 reverse proxy로 두고 `proxy_pass http://127.0.0.1:8080;`으로 WAS에 넘깁니다.",
    "CI 파이프라인에서 `pytest -x --maxfail=1`로 첫 실패에서 바로 멈추게 했습니다.",
    "LLM inference에서는 KV cache를 paged 방식으로 관리하면 memory fragmentation을 줄일 수 있습니다.",
    "`torch.no_grad()` 블록 안에서는 autograd graph를 만들지 않아서 메모리를 아낄 수 있습니다.",
    "`git bisect`로 regression이 들어온 commit을 이분 탐색처럼 찾았습니다.",
    "AWS S3의 strong read-after-write consistency 덕분에 업로드 직후 바로 읽어도 됩니다.",
    "`__init__.py`가 없으면 Python 3.3 이상에서는 namespace package로 인식됩니다.",
    "gRPC는 HTTP/2 위에서 Protocol Buffers로 직렬화하기 때문에 JSON over REST보다 payload가 작습니다.",
    "`SIGKILL`은 잡을 수 없지만 `SIGTERM`은 handler를 등록해서 graceful shutdown을 할 수 있습니다.",
    "DB connection pool 크기는 보통 `core_count * 2 + effective_spindle_count` 공식으로 시작합니다.",
    "`constexpr` 함수는 컴파일 타임에 평가될 수 있고, C++20부터는 `consteval`로 강제할 수 있습니다.",
    "면접관: \"TCP와 UDP의 차이는?\" 저: \"TCP는 connection-oriented이고 UDP는 connectionless입니다.\"",
    "`Array.prototype.map()`은 새 배열을 반환하고, `forEach()`는 `undefined`를 반환합니다.",
    "`HTTP 429 Too Many Requests`가 오면 `Retry-After` 헤더를 보고 exponential backoff로 재시도합니다.",
    "`ConcurrentHashMap`은 세그먼트 락 대신 Java 8부터 CAS와 `synchronized`를 버킷 단위로 씁니다.",
    "Linux에서 `fork()` 후 `exec()`를 호출하면 자식 프로세스의 메모리 이미지가 새 프로그램으로 교체됩니다.",
    "`B-Tree` 인덱스는 `LIKE 'abc%'`에는 쓰이지만 `LIKE '%abc'`에는 쓰이지 않습니다.",
    "`self.cache: dict[str, list[int]] = {}`처럼 type hint를 달아 두면 mypy가 잡아 줍니다.",
    "사용자 ID는 `user_id`, 이메일은 `userEmail`, 상수는 `MAX_RETRY_COUNT`처럼 naming convention을 맞췄습니다.",
    "`p99 latency`가 200ms를 넘으면 alert가 가도록 Prometheus rule을 설정했습니다.",
    "The 면접 question was about `volatile`, and I answered 가시성(visibility) vs 원자성(atomicity).",
]

IDENTIFIERS = [
    "getUserById", "user_id", "MAX_BUFFER_SIZE", "HttpServletRequest", "std::unordered_map<int, std::string>",
    "__init__", "self.kv_cache", "np.float32", "torch.Tensor", "kubectl", "useState", "fetchData()",
    "ArrayList<Integer>", "JSON.parse", "os.path.join", "std::move", "CompletableFuture", "SIGSEGV",
    "x86_64", "utf8proc_map", "pcre2_match", "camelCaseIdentifier", "snake_case_identifier",
    "SCREAMING_SNAKE_CASE", "kebab-case-name", "HTTPServer", "IOError", "parseJSON", "vLLM", "FlashAttention2",
    "gpt-4o-mini", "llama.cpp", "@RestController", "#include <vector>", "0x7fff5fbff8a8", "i++", "a->b",
    "foo::bar::baz", "$HOME/.bashrc", "~/.ssh/id_ed25519", "C:\\Users\\홍길동\\Desktop", "/usr/local/bin/python3",
]

KO_FRAGMENTS_FOR_MIX = [
    "{x}를 호출하면", "{x}의 반환값은", "{x} 대신 {y}를 쓰세요.", "{x}에서 {y}로 변경했습니다.",
    "왜 {x}가 null인가요?", "{x}와 {y}의 차이점을 설명해 주세요.", "{x}는 deprecated 되었습니다.",
    "로그에 {x}가 찍혔어요.", "{x}({y})", "변수명 {x}은(는) 바꾸는 게 좋겠습니다.",
]

MULTILINGUAL = [
    # Chinese
    "进程是资源分配的基本单位，线程是CPU调度的基本单位。",
    "数据库索引通常使用B+树实现，可以加快查询速度。",
    "我们今天讨论分布式系统中的一致性问题。",
    "繁體中文：記憶體管理與執行緒同步是作業系統的重要主題。",
    # Japanese
    "プロセスとスレッドの違いを説明してください。",
    "東京は日本の首都で、人口は約1,400万人です。",
    "ひらがなとカタカナ、そして漢字が混ざった文章です。",
    "ｶﾀｶﾅ（半角）とカタカナ（全角）の違い。",
    "今日はいい天気ですね！散歩に行きましょう。",
    # Arabic
    "مرحبا بالعالم، كيف حالك اليوم؟",
    "قاعدة البيانات هي مجموعة منظمة من البيانات.",
    "اَلْعَرَبِيَّةُ لُغَةٌ جَمِيلَةٌ",
    "الرقم ١٢٣٤٥ مكتوب بالأرقام العربية الهندية.",
    # Hebrew
    "שלום עולם! זהו משפט בעברית.",
    # Russian, Greek, Ukrainian
    "Процесс — это экземпляр выполняющейся программы.",
    "Съешь же ещё этих мягких французских булок, да выпей чаю.",
    "Η γρήγορη καφέ αλεπού πηδάει πάνω από τον τεμπέλη σκύλο.",
    "Ґанок, їжак, європейський — українські літери.",
    # Thai, Hindi, Vietnamese, Georgian, Armenian, Amharic, Tamil
    "ภาษาไทยไม่มีการเว้นวรรคระหว่างคำ",
    "नमस्ते दुनिया, यह एक हिंदी वाक्य है।",
    "Tiếng Việt có rất nhiều dấu: ă, â, đ, ê, ô, ơ, ư, ạ, ả, ã.",
    "ქართული ენა ძალიან ლამაზია.",
    "Բարեւ աշխարհ։",
    "ሰላም ልዑል",
    "தமிழ் ஒரு பழமையான மொழி.",
    # Accented Latin
    "Crème brûlée, naïve café, façade, résumé, jalapeño, Zürich, São Paulo.",
    "Ærøskøbing, Ångström, Øresund, Ðakovo, Łódź, Kraków, Gdańsk, Żółć.",
    "İstanbul'da ılık bir gün; ŞŞş ĞĞğ Çç Öö Üü.",
    "Straße, Maß, groß — ẞ is the capital sharp s.",
    "¿Dónde está la biblioteca? ¡Allí está!",
    "Œuvre, cœur, Ÿ, Ç, Ê, Ë, Ï, Î, Ô, Ù, Û, Ü, Ÿ.",
    "Ñandú, pingüino, vergüenza, ﬁnancial, ﬂuﬀy.",
    "Čeština: příliš žluťoučký kůň úpěl ďábelské ódy.",
    "Română: știință, țară, învățătură.",
    "Íslenska: Þórður og Ðóra.",
    # Korean oddities
    "뷁 똠방각하 햏 쀍 펲 꿻 — 드물게 쓰이는 한글 음절들.",
    "훈민정음(訓民正音)은 조선 세종 때 창제되었다.",
    "ㅋㅋㅋㅋ ㅎㅎ ㅠㅠ ㄱㄱ ㅇㅇ",
]
